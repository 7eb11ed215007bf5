namespace CimiGrains.Networks;

/// <summary>The NetworkPortConfiguration type: a plain stored resource (port type, class of service).</summary>
public static class NetworkPortConfigurationRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("NetworkPortConfiguration", "networkPortConfigs"),
        Record = typeof(NetworkPortConfiguration),
        Grain = typeof(INetworkPortConfigurationGrain),
        CollectionArray = "networkPortConfigurations",
        EntryPointAttribute = "networkPortConfigs",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "portType", "classOfService", "operations"],
        Constraints = [NetworkPortRegistration.PortType],
    };
}
