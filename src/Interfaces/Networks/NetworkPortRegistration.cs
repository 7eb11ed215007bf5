namespace CimiGrains.Networks;

/// <summary>The NetworkPort type: made by Networks for their leases, or created on a Network by a NetworkPortCreate.</summary>
public static class NetworkPortRegistration
{
    public static readonly CimiAttributeConstraint PortType = new("portType", "ACCESS (the default: untagged frames) or TRUNK.")
    {
        Values = ["ACCESS", "TRUNK"],
    };

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("NetworkPort", "networkPorts"),
        Record = typeof(NetworkPort),
        Grain = typeof(INetworkPortGrain),
        CollectionArray = "networkPorts",
        EntryPointAttribute = "networkPorts",
        Routing = CimiRouting.CustomCreate,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "state", "network", "portType", "classOfService", "meters", "eventLog", "operations"],
        ProviderAttributes = ["state", "network", "portType", "classOfService", "resource", "meters", "eventLog"],
        Documents =
        [
            new(typeof(NetworkPortCreate), "NetworkPortCreate", [.. CimiTypeRegistration.CommonElements, "networkPortTemplate"]),
        ],
        Capabilities =
        [
            new("NetworkPortConfigByValue", "true", "A NetworkPortTemplate may carry its NetworkPortConfiguration by value."),
            new("NetworkPortTemplateByValue", "true", "A NetworkPortCreate may carry its NetworkPortTemplate by value."),
        ],
        Constraints =
        [
            PortType,
            new("state", "Its Network's: STARTED or STOPPED.") { Values = [.. Enum.GetNames<NetworkStateName>()] },
            new("resource", "The Machine whose interface uses the port; absent while none does."),
        ],
    };
}
