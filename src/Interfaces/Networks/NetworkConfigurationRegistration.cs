namespace CimiGrains.Networks;

/// <summary>The NetworkConfiguration type: a plain stored resource (type, mtu, class of service, subnet).</summary>
public static class NetworkConfigurationRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("NetworkConfiguration", "networkConfigs"),
        Record = typeof(NetworkConfiguration),
        Grain = typeof(INetworkConfigurationGrain),
        CollectionArray = "networkConfigurations",
        EntryPointAttribute = "networkConfigs",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "networkType", "mtu", "classOfService", "operations"],
        Constraints = [NetworkRegistration.Mtu, NetworkRegistration.NetworkType, NetworkRegistration.Subnet],
    };
}
