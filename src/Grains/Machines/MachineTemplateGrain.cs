using Microsoft.Extensions.DependencyInjection;
using CimiGrains.Credentials;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.Images;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Machines;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Machines;

public sealed class MachineTemplateGrain(
    [PersistentState("machineTemplate", "cimi")] IPersistentState<ResourceState<MachineTemplate>> state,
    ResourceReadModel readModel,
    IOptions<PublicImageOptions> publicImages,
    ImageStoreDatabase store)
    : CimiResourceGrain<MachineTemplate>(state, readModel, ResourceKind.MachineTemplate), IMachineTemplateGrain
{
    /// <summary>The states a new Machine may be asked to end in (Machine InitialStates capability).</summary>
    public static IReadOnlyList<MachineStateName> InitialStates => MachineRegistration.InitialStates;

    protected override async Task<MachineTemplate> ValidateAsync(MachineTemplate document)
    {
        // A stored template keeps its references as references (so later changes to the
        // configuration show through), but every one of them must resolve now.
        await CheckAsync(GrainFactory, TenantId, document);
        // An image by value (or a referenced one's overriding location) is held to the MachineImage rule.
        if (document.MachineImage?.ImageLocation is { } location)
            await ImageLocations.CheckAsync(GrainFactory, publicImages.Value, TenantId, location, ownImageLocalId: null);
        // New Volumes are checked as far as the Machine's driver does not matter (that is checked at each MachineCreate).
        await MachineVolumeTemplates.CheckAsync(GrainFactory, store, TenantId, document.VolumeTemplates, driver: null,
            (document.Volumes ?? []).Select(v => v.InitialLocation));
        // Its MeterTemplates must resolve and offer aspects a Machine has.
        await Meters.TemplateMeters.ResolveAsync(GrainFactory, TenantId, ResourceKind.Machine.TypeName, document.MeterTemplates,
            Meters.TemplateMeters.SamplingPeriod(ServiceProvider));
        // So must its EventLogTemplate, with a persistence the deployment keeps.
        await Events.TemplateEventLogs.ResolveAsync(GrainFactory, TenantId, document.EventLogTemplate, Events.TemplateEventLogs.Retention(ServiceProvider));
        return document;
    }

    /// <summary>Checks a template's own values and that each reference in it resolves.</summary>
    public static async Task CheckAsync(IGrainFactory grains, string tenantId, MachineTemplate t)
    {
        CommonValidation.Check(t);
        if (t.InitialState is { } initial &&
            !(Enum.TryParse<MachineStateName>(initial, ignoreCase: false, out var s) && InitialStates.Contains(s)))
            throw CimiException.Invalid($"'initialState' must be one of {string.Join(", ", InitialStates)}, not '{initial}'.");
        if (t.UserData is { } userData)
        {
            if (userData.Length > 16 * 1024) throw CimiException.Invalid("'userData' is larger than 16 KiB.");
            var buffer = new byte[userData.Length];
            if (!Convert.TryFromBase64String(userData, buffer, out _)) throw CimiException.Invalid("'userData' is not valid Base64.");
        }
        if (t.MachineConfig is { } config)
        {
            if (config.Href is { } href)
                await References.ResolveAsync<IMachineConfigurationGrain, MachineConfiguration>(grains, tenantId, ResourceKind.MachineConfiguration, "machineConfig", href);
            MachineConfigurationGrain.Check(config, requireAll: config.Href is null);
        }
        if (t.MachineImage is { } image)
        {
            if (image.Href is { } href)
                await References.ResolveAsync<IMachineImageGrain, MachineImage>(grains, tenantId, ResourceKind.MachineImage, "machineImage", href);
            MachineImageGrain.Check(image, requireAll: image.Href is null);
            await MachineImageGrain.CheckReferencesAsync(grains, tenantId, image, "machineImage.relatedImage");
        }
        if (t.Credential is { Href: { } credentialHref })
            await References.ResolveAsync<ICredentialGrain, Credential>(grains, tenantId, ResourceKind.Credential, "credential", credentialHref);
        await CheckVolumesAsync(grains, tenantId, t.Volumes, driver: null);
        // Each interface's Network must be the tenant's own (another tenant's is as absent as one that never existed: 404).
        foreach (var wanted in MachineNetworkInterfaceRules.CheckTemplate(t.NetworkInterfaces))
        {
            if (await grains.GetGrain<CimiGrains.Networks.INetworkGrain>(GrainKeys.Of(tenantId, wanted.NetworkLocalId)).GetInternal() is null)
                throw CimiException.NotFound($"Network '{MachineNetworkInterfaces.NetworkCollectionSegment}/{wanted.NetworkLocalId}'");
        }
    }

    /// <summary>
    /// A template's <c>volumes</c>: each names one of the tenant's Volumes (another tenant's is as dangling as
    /// none), once, at a location no other takes. <paramref name="driver"/> is the Machine's when it is known
    /// (a container needs an <c>initialLocation</c>); null checks only what holds for every driver.
    /// Returns each Volume's local id and checked location.
    /// </summary>
    public static async Task<IReadOnlyList<(string LocalId, string? Location)>> CheckVolumesAsync(
        IGrainFactory grains, string tenantId, IReadOnlyList<MachineTemplateVolume>? volumes, string? driver)
    {
        var checkedVolumes = new List<(string LocalId, string? Location)>();
        foreach (var (volume, i) in (volumes ?? []).Select((v, i) => (v, i)))
        {
            var at = $"'volumes[{i}]'";
            var href = volume.Href ?? throw CimiException.Invalid($"{at} needs an 'href' naming the Volume to attach.");
            var localId = MachineVolumes.VolumeLocalIdOf(href)
                ?? throw CimiException.Invalid($"{at} must reference a Volume (…/{MachineVolumes.VolumeCollectionSegment}/<id>), not '{href}'.");
            string? location;
            try
            {
                location = MachineVolumeRules.CheckInitialLocation(volume.InitialLocation, driver ?? "qemu");
            }
            catch (CimiException e)
            {
                throw CimiException.Invalid($"{at}: {e.Message}");
            }
            if (await grains.GetGrain<CimiGrains.Volumes.IVolumeGrain>(GrainKeys.Of(tenantId, localId)).GetInternal() is null)
                throw CimiException.MissingReference($"{at} references Volume '{href}', which does not exist.");
            if (checkedVolumes.Any(v => v.LocalId == localId)) throw CimiException.Invalid($"{at} names Volume '{href}' a second time.");
            if (location is not null && checkedVolumes.Any(v => v.Location == location))
                throw CimiException.Invalid($"{at} puts its Volume at '{location}', where another of the template's Volumes is.");
            checkedVolumes.Add((localId, location));
        }
        return checkedVolumes;
    }

    /// <summary>A template reference with attributes alongside: those given override the stored ones.</summary>
    public static MachineTemplate Merge(MachineTemplate referenced, MachineTemplate overrides) => referenced with
    {
        InitialState = overrides.InitialState ?? referenced.InitialState,
        MachineConfig = overrides.MachineConfig ?? referenced.MachineConfig,
        MachineImage = overrides.MachineImage ?? referenced.MachineImage,
        Credential = overrides.Credential ?? referenced.Credential,
        UserData = overrides.UserData ?? referenced.UserData,
        Volumes = overrides.Volumes ?? referenced.Volumes,
        VolumeTemplates = overrides.VolumeTemplates ?? referenced.VolumeTemplates,
        NetworkInterfaces = overrides.NetworkInterfaces ?? referenced.NetworkInterfaces,
    };
}
