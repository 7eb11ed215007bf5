using CimiGrains.Grains.Common;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// What a Network grain persists: the Network, what its hosts are made from (subnet, VNI), its leases, and what
/// its hosts still have to be told. Collections are replaced, never changed in place: a failed write restores the
/// previous state by a shallow copy.
/// </summary>
[GenerateSerializer, Alias("cimi.state.Network")]
public sealed class NetworkGrainState : IResourceState<Network>
{
    [Id(0)] public Network? Resource { get; set; }

    [Id(1)] public long EventSequence { get; set; }

    /// <summary>The subnet (CIDR), as reserved with the tenant's subnets.</summary>
    [Id(2)] public string? Subnet { get; set; }

    [Id(3)] public uint Vni { get; set; }

    /// <summary>The ForwardingGroup the Network is in (its key), if any.</summary>
    [Id(4)] public string? ForwardingGroupKey { get; set; }

    /// <summary>Every lease, by <see cref="NetworkLease.KeyOf"/>.</summary>
    [Id(5)] public IReadOnlyDictionary<string, NetworkLease> Leases { get; set; } = new Dictionary<string, NetworkLease>();

    /// <summary>Bumped by every change a host must hear of; every view carries it (<see cref="CimiGrains.Hosts.NetworkHostView.Version"/>).</summary>
    [Id(6)] public long Version { get; set; }

    /// <summary>Hosts that were sent a present view and have not been sent a final absent one yet.</summary>
    [Id(7)] public IReadOnlyList<string> HostsTold { get; set; } = [];

    /// <summary>Hosts that have not yet taken the view of <see cref="Version"/>.</summary>
    [Id(8)] public IReadOnlyList<string> HostsToTell { get; set; } = [];

    /// <summary>The subnets of the other Networks of its ForwardingGroup, as the group last told it.</summary>
    [Id(9)] public IReadOnlyList<string> RoutedSubnets { get; set; } = [];

    /// <summary>Addresses consumers reserved (AddressCreate): Address local id → offset in the subnet.</summary>
    [Id(10)] public IReadOnlyDictionary<string, uint> Reservations { get; set; } = new Dictionary<string, uint>();

    /// <summary>NetworkPorts consumers created on the Network: port local id → the lease using it (empty: none).</summary>
    [Id(11)] public IReadOnlyDictionary<string, string> Ports { get; set; } = new Dictionary<string, string>();

    /// <summary>The version of the last word taken from the ForwardingGroup (<see cref="IForwardingGroupGrain"/>).</summary>
    [Id(12)] public long ForwardingGroupVersion { get; set; }

    /// <summary>The event of the last commit, kept so that the projection on activation records it if its row was lost (EventLogs).</summary>
    [Id(13)] public DomainEvent? LastEvent { get; set; }

    public IResourceState<Network> Copy() => new NetworkGrainState
    {
        Resource = Resource, EventSequence = EventSequence, Subnet = Subnet, Vni = Vni, ForwardingGroupKey = ForwardingGroupKey,
        Leases = Leases, Version = Version, HostsTold = HostsTold, HostsToTell = HostsToTell, RoutedSubnets = RoutedSubnets,
        Reservations = Reservations, Ports = Ports, ForwardingGroupVersion = ForwardingGroupVersion, LastEvent = LastEvent,
    };
}

/// <summary>
/// One Machine interface's lease: its address (offset in the subnet), whether it was asked for, the Address and
/// NetworkPort resources made for it (or the consumer's port it uses: <see cref="ConsumerPort"/>), the host that plugs it (once bound), and the answer every repeat gets.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.state.NetworkLease")]
public sealed record NetworkLease(
    [property: Id(0)] string MachineKey,
    [property: Id(1)] string InterfaceId,
    [property: Id(2)] uint Offset,
    [property: Id(3)] bool Static,
    [property: Id(4)] string AddressLocalId,
    [property: Id(5)] string PortLocalId,
    [property: Id(6)] string? HostId,
    [property: Id(7)] NetworkInterfaceLease Answer,
    [property: Id(8)] bool ConsumerPort = false)
{
    public static string KeyOf(string machineKey, string interfaceId) => $"{machineKey}#{interfaceId}";
}
