using CimiGrains.Networks;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// Where one of the Machine's network interfaces stands. As with Volumes, each step is written before the next
/// is taken: <see cref="Leasing"/> before the Network is asked (a crash leaves a lease the Machine releases),
/// <see cref="Detaching"/> before the host unplugs it and the lease is given back.
/// </summary>
[GenerateSerializer]
public enum MachineInterfaceStatus
{
    /// <summary>The Network is being asked for the lease; not yet an operation of the Machine.</summary>
    Leasing,

    /// <summary>Leased; the Machine's host is plugging it (the pending AttachNetworkInterface operation).</summary>
    Attaching,

    /// <summary>Plugged by the host, or the Machine has no host yet and every create carries it.</summary>
    Attached,

    /// <summary>Being unplugged (the pending DetachNetworkInterface operation), or given up and to be released.</summary>
    Detaching,
}

/// <summary>
/// One interface of the Machine on a Network of its tenant: its id (stable: the lease, the host's device and the
/// MachineNetworkInterface are all named by it), the Network (and NetworkPort) by local id, the static address it
/// asked for, and the Network's lease (null until the Network answered, and again after a failed create gave it
/// back: the next create leases it again under the same id).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.state.MachineInterface")]
public sealed record MachineInterface(
    [property: Id(0)] string InterfaceId,
    [property: Id(1)] string NetworkLocalId,
    [property: Id(2)] string? NetworkPortLocalId,
    [property: Id(3)] string? StaticAddress,
    [property: Id(4)] MachineInterfaceStatus Status,
    [property: Id(5)] NetworkInterfaceLease? Lease,
    [property: Id(6)] DateTimeOffset Created);
