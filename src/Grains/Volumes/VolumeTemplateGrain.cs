using CimiGrains.Grains.Common;
using CimiGrains.Grains.Images;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Volumes;

public sealed class VolumeTemplateGrain(
    [PersistentState("volumeTemplate", "cimi")] IPersistentState<ResourceState<VolumeTemplate>> state,
    ResourceReadModel readModel,
    ImageStoreDatabase store)
    : CimiResourceGrain<VolumeTemplate>(state, readModel, VolumeTemplateRegistration.Type.Kind), IVolumeTemplateGrain
{
    protected override async Task<VolumeTemplate> ValidateAsync(VolumeTemplate document)
    {
        // A stored template keeps its references as references (later changes to the configuration show
        // through), but every one of them must resolve now, and a configuration by value must be whole.
        await CheckAsync(GrainFactory, store, TenantId, document);
        // Its MeterTemplates must resolve and offer aspects a Volume has.
        await Meters.TemplateMeters.ResolveAsync(GrainFactory, TenantId, VolumeRegistration.Type.TypeName, document.MeterTemplates,
            Meters.TemplateMeters.SamplingPeriod(ServiceProvider));
        // So must its EventLogTemplate, with a persistence the deployment keeps.
        await Events.TemplateEventLogs.ResolveAsync(GrainFactory, TenantId, document.EventLogTemplate, Events.TemplateEventLogs.Retention(ServiceProvider));
        return document;
    }

    /// <summary>Checks a template's own values and that each reference in it resolves to the tenant's resource.</summary>
    public static async Task CheckAsync(IGrainFactory grains, ImageStoreDatabase store, string tenantId, VolumeTemplate t)
    {
        CommonValidation.Check(t);
        if (t.VolumeConfig is { } config)
        {
            if (config.Href is { } href)
                await References.ResolveAsync<IVolumeConfigurationGrain, VolumeConfiguration>(grains, tenantId,
                    VolumeConfigurationRegistration.Type.Kind, "volumeConfig", href);
            VolumeConfigurationGrain.Check(config, requireAll: config.Href is null);
        }
        if (t.VolumeImage is { } image)
        {
            if (image.Href is { } href)
                await References.ResolveAsync<IVolumeImageGrain, VolumeImage>(grains, tenantId, VolumeImageRegistration.Type.Kind, "volumeImage", href);
            VolumeImageGrain.Check(image, requireAll: image.Href is null);
            if (image.ImageLocation is { } location) await VolumeImages.CheckAsync(grains, store, tenantId, location, ownImageLocalId: null);
        }
    }

    /// <summary>A template reference with attributes alongside: those given override the stored ones.</summary>
    public static VolumeTemplate Merge(VolumeTemplate referenced, VolumeTemplate overrides) => referenced with
    {
        VolumeConfig = overrides.VolumeConfig ?? referenced.VolumeConfig,
        VolumeImage = overrides.VolumeImage ?? referenced.VolumeImage,
        MeterTemplates = overrides.MeterTemplates ?? referenced.MeterTemplates,
        EventLogTemplate = overrides.EventLogTemplate ?? referenced.EventLogTemplate,
    };
}
