namespace CimiGrains.Agents.Networks;

/// <summary>
/// This host's part of the cluster's CIMI Networks (docs/NETWORKS.md), made from the kernel's own parts: per
/// Network a bridge, stretched to the other hosts by a VXLAN device (one VNI per Network) whose forwarding
/// entries the cluster's <see cref="NetworkPlaneState"/> programs (no multicast flooding); per interface a veth
/// (container) or a tap (VM) on that bridge, with rules that let it send only from its own MAC and addresses.
/// Everything it makes is named so that it can be found again after a crash: <see cref="ReconcileAsync"/>
/// adopts what is still wanted and removes the rest. What it made keeps forwarding while the agent is down.
/// </summary>
public interface INetworkPlane
{
    /// <summary>False when this host offers no Networks (no underlay address is configured): every other
    /// member then refuses, naming the setting.</summary>
    bool Enabled { get; }

    /// <summary>This host's VXLAN tunnel endpoint address (registered with the cluster).</summary>
    string? UnderlayAddress { get; }

    /// <summary>The Networks that have a bridge here now (for the Inventory).</summary>
    Task<IReadOnlyList<string>> ListNetworksAsync(CancellationToken ct);

    /// <summary>Makes the Network's bridge, VXLAN device, forwarding entries, routing and NAT match
    /// <paramref name="state"/> (idempotent; an older version than the one applied is ignored). A state with
    /// Present false removes the Network here once no local interface uses it.</summary>
    Task ApplyAsync(NetworkPlaneState state, CancellationToken ct);

    /// <summary>Plugs a container's interface: a veth pair whose inner end is moved into the network namespace
    /// of process <paramref name="pid"/>, named <see cref="NetworkPlaneInterface.Name"/> there, given the MAC,
    /// addresses, MTU and default route of <paramref name="nic"/>, its outer end on the Network's bridge
    /// (made here if it is not yet). Idempotent: plugging again into the same namespace changes nothing, into a
    /// new one (the container restarted) replaces the old pair.</summary>
    Task PlugContainerAsync(NetworkPlaneInterface nic, int pid, CancellationToken ct);

    /// <summary>Makes (or finds) the tap device for a VM's interface on the Network's bridge, owned by
    /// <paramref name="uid"/> so the VM's QEMU process can open it, and returns its name.</summary>
    Task<string> CreateTapAsync(NetworkPlaneInterface nic, int uid, CancellationToken ct);

    /// <summary>The counters of the host device (veth or tap) of every interface plugged here that a NetworkPort
    /// carries, from the workload's side: the ports' samples. Read from the plane's records without the plane's lock,
    /// so sampling never waits on a plug; a device gone meanwhile is left out.</summary>
    Task<IReadOnlyList<PortCounters>> ReadPortCountersAsync(CancellationToken ct);

    /// <summary>Removes the interface's veth or tap and its rules; unknown interfaces succeed.</summary>
    Task UnplugAsync(string interfaceId, CancellationToken ct);

    /// <summary>At start (and after each reconciliation with the cluster): keeps the interfaces in
    /// <paramref name="liveInterfaceIds"/> and removes every device and rule this agent made that belongs to
    /// none of them, and every Network bridge that no interface uses and no state wants.</summary>
    Task ReconcileAsync(IReadOnlySet<string> liveInterfaceIds, CancellationToken ct);
}

/// <summary>A Machine interface as the host plugs it (the proto's NetworkInterfaceSpec): addresses are CIDR;
/// <see cref="Name"/> is its name inside the workload (<c>eth0</c>, <c>eth1</c>, …).</summary>
public sealed record NetworkPlaneInterface(
    string InterfaceId,
    string NetworkId,
    uint Vni,
    string Mac,
    IReadOnlyList<string> Addresses,
    string? Gateway,
    IReadOnlyList<string> Dns,
    int Mtu,
    string NetworkType,
    string Name,
    string? NetworkPortKey = null);

/// <summary>What one Network should be on this host (the proto's NetworkState).</summary>
public sealed record NetworkPlaneState(
    string NetworkId,
    string TenantId,
    uint Vni,
    int Mtu,
    string NetworkType,
    string Subnet,
    string? Gateway,
    bool Started,
    IReadOnlyList<NetworkPlaneEndpoint> RemoteEndpoints,
    IReadOnlyList<string> RoutedSubnets,
    bool Present,
    long Version);

/// <summary>The counters of a NetworkPort (<c>{tenantId}/{localId}</c>) plugged on this host, read at <paramref name="At"/>.</summary>
public sealed record PortCounters(string NetworkPortKey, DateTimeOffset At, LinkCounters Counters);

/// <summary>A port of the Network on another host: that host's underlay address and the port's MAC and addresses.</summary>
public sealed record NetworkPlaneEndpoint(string HostId, string UnderlayAddress, string Mac, IReadOnlyList<string> Addresses);
