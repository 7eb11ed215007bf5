using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

public sealed class NetworkTemplateGrain(
    [PersistentState("networkTemplate", "cimi")] IPersistentState<ResourceState<NetworkTemplate>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<NetworkTemplate>(state, readModel, NetworkTemplateRegistration.Type.Kind), INetworkTemplateGrain
{
    protected override async Task<NetworkTemplate> ValidateAsync(NetworkTemplate document)
    {
        // A stored template keeps its references as references, but each must resolve to the tenant's now.
        await CheckAsync(GrainFactory, TenantId, document);
        // Its MeterTemplates must resolve and offer aspects a Network has.
        await Meters.TemplateMeters.ResolveAsync(GrainFactory, TenantId, NetworkRegistration.Type.TypeName, document.MeterTemplates,
            Meters.TemplateMeters.SamplingPeriod(ServiceProvider));
        // So must its EventLogTemplate, with a persistence the deployment keeps.
        await Events.TemplateEventLogs.ResolveAsync(GrainFactory, TenantId, document.EventLogTemplate, Events.TemplateEventLogs.Retention(ServiceProvider));
        return document;
    }

    /// <summary>Checks a template's own values and that each reference in it resolves to the tenant's resource.</summary>
    public static async Task CheckAsync(IGrainFactory grains, string tenantId, NetworkTemplate t)
    {
        CommonValidation.Check(t);
        if (t.NetworkConfig is { } config)
        {
            if (config.Href is { } href)
                await References.ResolveAsync<INetworkConfigurationGrain, NetworkConfiguration>(grains, tenantId,
                    NetworkConfigurationRegistration.Type.Kind, "networkConfig", href);
            NetworkConfigurationGrain.Check(config);
        }
        if (t.InitialState is { } initial && initial is not (nameof(NetworkStateName.STARTED) or nameof(NetworkStateName.STOPPED)))
            throw CimiException.Invalid($"NetworkTemplate 'initialState' must be STARTED or STOPPED, not '{initial}'.");
        await References.RequireAsync<IForwardingGroupGrain, ForwardingGroup>(grains, tenantId, ForwardingGroupRegistration.Type.Kind,
            "forwardingGroup", t.ForwardingGroup);
    }

    /// <summary>A template reference with attributes alongside: those given override the stored ones.</summary>
    public static NetworkTemplate Merge(NetworkTemplate referenced, NetworkTemplate overrides) => referenced with
    {
        NetworkConfig = overrides.NetworkConfig ?? referenced.NetworkConfig,
        ForwardingGroup = overrides.ForwardingGroup ?? referenced.ForwardingGroup,
        InitialState = overrides.InitialState ?? referenced.InitialState,
        MeterTemplates = overrides.MeterTemplates ?? referenced.MeterTemplates,
        EventLogTemplate = overrides.EventLogTemplate ?? referenced.EventLogTemplate,
    };
}
