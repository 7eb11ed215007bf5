using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

public sealed class NetworkPortTemplateGrain(
    [PersistentState("networkPortTemplate", "cimi")] IPersistentState<ResourceState<NetworkPortTemplate>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<NetworkPortTemplate>(state, readModel, NetworkPortTemplateRegistration.Type.Kind), INetworkPortTemplateGrain
{
    protected override async Task<NetworkPortTemplate> ValidateAsync(NetworkPortTemplate document)
    {
        CommonValidation.Check(document);
        await References.RequireAsync<INetworkGrain, Network>(GrainFactory, TenantId, NetworkRegistration.Type.Kind, "network", document.Network);
        if (document.NetworkPortConfig is { } config)
        {
            if (config.Href is { } href)
                await References.ResolveAsync<INetworkPortConfigurationGrain, NetworkPortConfiguration>(GrainFactory, TenantId,
                    NetworkPortConfigurationRegistration.Type.Kind, "networkPortConfig", href);
            NetworkPortConfigurationGrain.Check(config);
        }
        return document;
    }

    public static NetworkPortTemplate Merge(NetworkPortTemplate referenced, NetworkPortTemplate overrides) => referenced with
    {
        Network = overrides.Network ?? referenced.Network,
        NetworkPortConfig = overrides.NetworkPortConfig ?? referenced.NetworkPortConfig,
    };
}
