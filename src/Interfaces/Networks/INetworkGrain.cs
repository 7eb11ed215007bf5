namespace CimiGrains.Networks;

/// <summary>
/// A Network, keyed <c>{tenantId}/{localId}</c>. It is not realized as one thing on one host: its state is its
/// grain's, and each host with a port on it gets a <see cref="Hosts.NetworkHostView"/> of it. Create, start, stop
/// and delete answer when done. Machines join it through <see cref="INetworkInterfaceLeases"/>.
/// </summary>
public interface INetworkGrain : ICimiResourceGrain<Network>, INetworkInterfaceLeases
{
    /// <summary>Resolves the template, allocates the Network's VNI and subnet, and stores it in its initial state
    /// (STARTED unless the template says STOPPED). Invalid (nothing stored) when the template is, or a reference dangles.</summary>
    Task<Network> Create(NetworkCreate create);

    /// <summary>STOPPED → STARTED: its hosts forward its traffic again. Conflict in any other state.</summary>
    Task<Network> Start();

    /// <summary>STARTED → STOPPED: its hosts keep its devices but forward nothing. Conflict in any other state.</summary>
    Task<Network> Stop();

    /// <summary>Its ForwardingGroup (null: none any more) routes it to <paramref name="routedSubnets"/>; a
    /// <paramref name="version"/> older than the last one taken from that group is ignored. Its hosts are told.</summary>
    [Orleans.Concurrency.OneWay]
    Task SetForwarding(string groupKey, bool member, IReadOnlyList<string> routedSubnets, long version);

    /// <summary>The local ids of the Network's NetworkPorts (its leases' and its consumers'), in id order.</summary>
    Task<IReadOnlyList<string>> GetPortIds();

    /// <summary>A consumer's AddressCreate: holds <paramref name="ip"/> (static; null: a free one, dynamic) for the Address
    /// <paramref name="addressKey"/>, and answers the Address's Network-given attributes. Does not call the Address. Repeats
    /// answer the same; BadRequest/Conflict as for a lease's static address.</summary>
    Task<Address> ReserveAddress(string addressKey, string? ip);

    /// <summary>The reserved Address is deleted: its address is free again. Unknown ones succeed.</summary>
    Task ReleaseAddress(string addressKey);

    /// <summary>A consumer's NetworkPortCreate: counts the port as the Network's (it then blocks the Network's delete) and
    /// answers the state it starts in. Does not call the port. Conflict unless the Network is STARTED or STOPPED.</summary>
    Task<NetworkStateName> AddPort(string portKey);

    /// <summary>The consumer deletes the port: Conflict, naming the Machine, while an interface uses it or it is a lease's.</summary>
    Task RemovePort(string portKey);
}
