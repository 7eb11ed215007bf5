using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

public sealed class NetworkPortConfigurationGrain(
    [PersistentState("networkPortConfiguration", "cimi")] IPersistentState<ResourceState<NetworkPortConfiguration>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<NetworkPortConfiguration>(state, readModel, NetworkPortConfigurationRegistration.Type.Kind), INetworkPortConfigurationGrain
{
    protected override Task<NetworkPortConfiguration> ValidateAsync(NetworkPortConfiguration document) => Task.FromResult(Check(document));

    public static NetworkPortConfiguration Check(NetworkPortConfiguration c)
    {
        CommonValidation.Check(c);
        if (c.PortType is { } type && !NetworkPortRegistration.PortType.Values!.Contains(type))
            throw CimiException.Invalid($"NetworkPortConfiguration 'portType' must be {string.Join(" or ", NetworkPortRegistration.PortType.Values!)}, not '{type}'.");
        CommonValidation.NonBlank(c.ClassOfService, "classOfService", 256);
        return c;
    }

    public static NetworkPortConfiguration Merge(NetworkPortConfiguration referenced, NetworkPortConfiguration overrides) => referenced with
    {
        PortType = overrides.PortType ?? referenced.PortType,
        ClassOfService = overrides.ClassOfService ?? referenced.ClassOfService,
    };
}
