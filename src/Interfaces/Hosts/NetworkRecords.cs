namespace CimiGrains.Hosts;

/// <summary>
/// One interface of a Machine on a CIMI Network (a MachineNetworkInterface) as its host plugs it: a veth into
/// a container's network namespace or a tap for a VM, on the Network's bridge there. <see cref="Addresses"/>
/// are CIDR (<c>10.20.0.5/24</c>); <see cref="Gateway"/> is the default route (null: none). The interface may
/// send only from <see cref="Mac"/> and its addresses (anti-spoofing on its bridge port). <see cref="NetworkPortKey"/>
/// is the NetworkPort that carries it (<c>{tenantId}/{localId}</c>), whose Meters the host device's counters feed.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkInterfaceSpec")]
public sealed record NetworkInterfaceSpec(
    [property: Id(0)] string InterfaceId,
    [property: Id(1)] string NetworkKey,
    [property: Id(2)] uint Vni,
    [property: Id(3)] string Mac,
    [property: Id(4)] IReadOnlyList<string> Addresses,
    [property: Id(5)] string? Gateway,
    [property: Id(6)] IReadOnlyList<string> Dns,
    [property: Id(7)] int Mtu,
    [property: Id(8)] string NetworkType,
    [property: Id(9)] string? NetworkPortKey = null);

/// <summary>
/// What one Network should be on one host (the proto's NetworkState): its bridge and VXLAN device
/// (<see cref="Vni"/>), and where the frames of its ports on other hosts go. A Network sends it to every host
/// with a port on it whenever that changes; <see cref="Version"/> orders them. <see cref="Present"/> false:
/// the Network has no port on that host any more (or is gone).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkHostView")]
public sealed record NetworkHostView(
    [property: Id(0)] string NetworkKey,
    [property: Id(1)] string TenantId,
    [property: Id(2)] uint Vni,
    [property: Id(3)] int Mtu,
    [property: Id(4)] string NetworkType,
    [property: Id(5)] string Subnet,
    [property: Id(6)] string? Gateway,
    [property: Id(7)] bool Started,
    [property: Id(8)] IReadOnlyList<NetworkEndpoint> RemoteEndpoints,
    [property: Id(9)] IReadOnlyList<string> RoutedSubnets,
    [property: Id(10)] bool Present,
    [property: Id(11)] long Version);

/// <summary>A port of a Network on another host: that host's underlay (VXLAN tunnel) address, and the MAC and
/// addresses of the interface behind it.</summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkEndpoint")]
public sealed record NetworkEndpoint(
    [property: Id(0)] string HostId,
    [property: Id(1)] string UnderlayAddress,
    [property: Id(2)] string Mac,
    [property: Id(3)] IReadOnlyList<string> Addresses);
