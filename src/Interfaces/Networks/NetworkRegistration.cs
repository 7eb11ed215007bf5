namespace CimiGrains.Networks;

/// <summary>The Network type: created from a NetworkCreate, started and stopped by actions (Gateway/Networks/NetworkApi).</summary>
public static class NetworkRegistration
{
    /// <summary>The mtu a Network may have: from IPv4's minimum to a jumbo frame.</summary>
    public static readonly CimiAttributeConstraint Mtu = new("mtu",
        "Bytes, 576 to 9000; absent: 1450 (a 1500-byte underlay less VXLAN's 50 bytes).") { Low = 576, High = 9000 };

    public static readonly CimiAttributeConstraint NetworkType = new("networkType",
        "PUBLIC (routed to the hosts' external side with NAT) or PRIVATE (the default: reaches nothing outside itself).") { Values = NetworkTypes.All };

    public static readonly CimiAttributeConstraint Subnet = new("subnet",
        "IPv4 CIDR of a network address, prefix /16 to /29 (e.g. 10.42.0.0/24); absent: a free 10.x.y.0/24 of the tenant. " +
        "The first address is the gateway's, the last the broadcast; neither is ever leased.");

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("Network", "networks"),
        Record = typeof(Network),
        Grain = typeof(INetworkGrain),
        CollectionArray = "networks",
        EntryPointAttribute = "networks",
        // Create takes a NetworkCreate, start and stop are actions: Gateway/Networks/NetworkApi maps them.
        Routing = CimiRouting.Custom,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "state", "networkType", "mtu", "classOfService", "networkPorts",
            "forwardingGroup", "meters", "eventLog", "operations"],
        ProviderAttributes = ["state", "networkType", "mtu", "classOfService", "networkPorts", "forwardingGroup", "subnet", "gateway", "vni", "meters", "eventLog"],
        Documents =
        [
            new(typeof(NetworkCreate), "NetworkCreate", [.. CimiTypeRegistration.CommonElements, "networkTemplate"]),
        ],
        Capabilities =
        [
            new("NetworkConfigByValue", "true", "A NetworkTemplate may carry its NetworkConfiguration by value."),
            new("NetworkTemplateByValue", "true", "A NetworkCreate may carry its NetworkTemplate by value."),
            new("DefaultInitialState", "STARTED", "A Network whose template names no initialState is STARTED once created."),
        ],
        Actions =
        [
            new("start", "STOPPED → STARTED: its hosts forward its traffic again.", OutputMessage: "Network"),
            new("stop", "STARTED → STOPPED: its hosts keep its devices but forward nothing.", OutputMessage: "Network"),
        ],
        Constraints =
        [
            Mtu, NetworkType, Subnet,
            new("state", "STARTED or STOPPED once created (ERROR if its hosts cannot be told); the transitional states pass within a request.")
            {
                Values = [.. Enum.GetNames<NetworkStateName>()],
            },
            new("gateway", "The address of the Network's router (its subnet's first address): the default route of its interfaces when the " +
                "Network is PUBLIC or in a ForwardingGroup; absent otherwise."),
            new("vni", "The VXLAN network identifier that carries the Network between hosts, unique in the cluster.") { Low = 1, High = 16777215 },
            new("networkPorts", "The Network's NetworkPorts: one per Machine interface on it, and those created on it."),
        ],
    };
}
