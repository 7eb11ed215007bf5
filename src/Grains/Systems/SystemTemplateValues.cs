using CimiGrains.Systems;
using CimiGrains.Credentials;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.Machines;
using CimiGrains.Grains.Networks;
using CimiGrains.Grains.Volumes;
using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Systems;

/// <summary>
/// A SystemTemplate with every template it names by reference replaced by its value, the overrides given beside the href
/// applied (DSP0263 "by reference with overrides", with each type's own merge), down to configurations, images and
/// credentials: what an export writes, so the envelope stands on its own. References to existing resources (a Machine
/// component's <c>volumes</c> and Networks, a NetworkTemplate's ForwardingGroup, the Networks of a NetworkPort, Address or
/// ForwardingGroup component) and <c>#name</c> references stay as they are.
/// Everything is read in the given tenant only: another tenant's template is as absent as none (NotFound).
/// Secrets come back as stored; the caller decides what to leave out.
/// </summary>
public static class SystemTemplateValues
{
    public static Task<SystemTemplate> ExpandAsync(IGrainFactory grains, string tenantId, SystemTemplate template) =>
        ExpandAsync(grains, tenantId, template, 1);

    private static async Task<SystemTemplate> ExpandAsync(IGrainFactory grains, string tenantId, SystemTemplate template, int depth)
    {
        // The stored template was checked for cycles and depth when written; a deeper chain means it changed since.
        if (depth > SystemComponents.MaxDepth) throw CimiException.Invalid($"Systems nest at most {SystemComponents.MaxDepth} deep.");
        if (template.Href is { } href)
        {
            var stored = await Resolve<ISystemTemplateGrain, SystemTemplate>(grains, tenantId, SystemTemplateRegistration.Type.Kind, href);
            template = SystemTemplates.Merge(stored, template);
        }
        var components = new List<ComponentDescriptor>();
        foreach (var c in template.ComponentDescriptors ?? [])
        {
            components.Add(c with
            {
                MachineTemplate = c.MachineTemplate is { } m ? await MachineAsync(grains, tenantId, m) : null,
                VolumeTemplate = c.VolumeTemplate is { } v ? await VolumeAsync(grains, tenantId, v) : null,
                NetworkTemplate = c.NetworkTemplate is { } n ? await NetworkAsync(grains, tenantId, n) : null,
                CredentialTemplate = await ByValue<ICredentialTemplateGrain, CredentialTemplate>(grains, tenantId, ResourceKind.CredentialTemplate,
                    c.CredentialTemplate, (r, o) => r with { UserName = o.UserName ?? r.UserName, Password = o.Password ?? r.Password, Key = o.Key ?? r.Key }),
                SystemTemplate = c.SystemTemplate is { } s ? await ExpandAsync(grains, tenantId, s, depth + 1) : null,
                NetworkPortTemplate = c.NetworkPortTemplate is { } p ? await NetworkPortAsync(grains, tenantId, p) : null,
                AddressTemplate = await ByValue<IAddressTemplateGrain, AddressTemplate>(grains, tenantId, AddressTemplateRegistration.Type.Kind,
                    c.AddressTemplate, AddressTemplateGrain.Merge),
                ForwardingGroupTemplate = await ByValue<IForwardingGroupTemplateGrain, ForwardingGroupTemplate>(grains, tenantId,
                    ForwardingGroupTemplateRegistration.Type.Kind, c.ForwardingGroupTemplate, ForwardingGroupTemplateGrain.Merge),
            });
        }
        return Bare(template) with { ComponentDescriptors = components };
    }

    private static async Task<MachineTemplate> MachineAsync(IGrainFactory grains, string tenantId, MachineTemplate given)
    {
        var t = await Value<IMachineTemplateGrain, MachineTemplate>(grains, tenantId, ResourceKind.MachineTemplate, given, MachineTemplateGrain.Merge);
        var volumeTemplates = new List<MachineTemplateVolumeTemplate>();
        foreach (var vt in t.VolumeTemplates ?? [])
        {
            var value = await VolumeAsync(grains, tenantId, vt.ToVolumeTemplate());
            volumeTemplates.Add(new MachineTemplateVolumeTemplate
            {
                Name = value.Name, Description = value.Description, Properties = value.Properties,
                VolumeConfig = value.VolumeConfig, VolumeImage = value.VolumeImage, InitialLocation = vt.InitialLocation,
            });
        }
        return Bare(t) with
        {
            MachineConfig = await ByValue<IMachineConfigurationGrain, MachineConfiguration>(grains, tenantId, ResourceKind.MachineConfiguration,
                t.MachineConfig, MachineConfigurationGrain.Merge),
            MachineImage = await ByValue<IMachineImageGrain, MachineImage>(grains, tenantId, ResourceKind.MachineImage, t.MachineImage,
                MachineImageGrain.Merge),
            // A '#name' credential is a component of the template; anything else is a Credential resource, taken by value.
            Credential = SystemComponents.ReferencedName(t.Credential?.Href) is null
                ? await ByValue<ICredentialGrain, Credential>(grains, tenantId, ResourceKind.Credential, t.Credential,
                    (r, o) => r with { UserName = o.UserName ?? r.UserName, Password = o.Password ?? r.Password, Key = o.Key ?? r.Key })
                : t.Credential,
            VolumeTemplates = t.VolumeTemplates is null ? null : volumeTemplates,
        };
    }

    private static async Task<VolumeTemplate> VolumeAsync(IGrainFactory grains, string tenantId, VolumeTemplate given)
    {
        var t = await Value<IVolumeTemplateGrain, VolumeTemplate>(grains, tenantId, VolumeTemplateRegistration.Type.Kind, given, VolumeTemplateGrain.Merge);
        return Bare(t) with
        {
            VolumeConfig = await ByValue<IVolumeConfigurationGrain, VolumeConfiguration>(grains, tenantId, VolumeConfigurationRegistration.Type.Kind,
                t.VolumeConfig, VolumeConfigurationGrain.Merge),
            VolumeImage = await ByValue<IVolumeImageGrain, VolumeImage>(grains, tenantId, VolumeImageRegistration.Type.Kind, t.VolumeImage,
                VolumeImageGrain.Merge),
        };
    }

    private static async Task<NetworkTemplate> NetworkAsync(IGrainFactory grains, string tenantId, NetworkTemplate given)
    {
        var t = await Value<INetworkTemplateGrain, NetworkTemplate>(grains, tenantId, NetworkTemplateRegistration.Type.Kind, given, NetworkTemplateGrain.Merge);
        return Bare(t) with
        {
            NetworkConfig = await ByValue<INetworkConfigurationGrain, NetworkConfiguration>(grains, tenantId, NetworkConfigurationRegistration.Type.Kind,
                t.NetworkConfig, NetworkConfigurationGrain.Merge),
        };
    }

    private static async Task<NetworkPortTemplate> NetworkPortAsync(IGrainFactory grains, string tenantId, NetworkPortTemplate given)
    {
        var t = await Value<INetworkPortTemplateGrain, NetworkPortTemplate>(grains, tenantId, NetworkPortTemplateRegistration.Type.Kind, given,
            NetworkPortTemplateGrain.Merge);
        return Bare(t) with
        {
            NetworkPortConfig = await ByValue<INetworkPortConfigurationGrain, NetworkPortConfiguration>(grains, tenantId,
                NetworkPortConfigurationRegistration.Type.Kind, t.NetworkPortConfig, NetworkPortConfigurationGrain.Merge),
        };
    }

    /// <summary>An attribute that may be a reference, a value or both, as a bare value (null stays null).</summary>
    private static async Task<T?> ByValue<TGrain, T>(IGrainFactory grains, string tenantId, ResourceKind kind, T? given, Func<T, T, T> merge)
        where TGrain : ICimiResourceGrain<T>
        where T : CimiResource =>
        given is null ? null : Bare(await Value<TGrain, T>(grains, tenantId, kind, given, merge));

    private static async Task<T> Value<TGrain, T>(IGrainFactory grains, string tenantId, ResourceKind kind, T given, Func<T, T, T> merge)
        where TGrain : ICimiResourceGrain<T>
        where T : CimiResource
    {
        if (given.Href is not { } href) return given;
        var stored = await Resolve<TGrain, T>(grains, tenantId, kind, href);
        // The href's own name and description (if given) are overrides like any other attribute.
        var merged = merge(stored, given with { Href = null });
        return merged with
        {
            Name = given.Name ?? stored.Name, Description = given.Description ?? stored.Description, Properties = given.Properties ?? stored.Properties,
        };
    }

    private static async Task<T> Resolve<TGrain, T>(IGrainFactory grains, string tenantId, ResourceKind kind, string href)
        where TGrain : ICimiResourceGrain<T>
        where T : CimiResource
    {
        var localId = kind.LocalIdOf(href) ?? throw CimiException.Invalid($"'{href}' does not reference a {kind.TypeName}.");
        return await grains.GetGrain<TGrain>(GrainKeys.Of(tenantId, localId)).GetInternal()
            ?? throw CimiException.NotFound($"{kind.TypeName} '{href}'");
    }

    /// <summary>A value without the identity of the stored resource it came from: by value it is nobody's.</summary>
    private static T Bare<T>(T resource) where T : CimiResource =>
        resource with { Href = null, Id = null, Created = null, Updated = null, Operations = null };
}
