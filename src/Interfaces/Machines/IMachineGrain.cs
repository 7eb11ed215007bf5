using CimiGrains.Hosts;
using CimiGrains.Jobs;

namespace CimiGrains.Machines;

/// <summary>
/// A Machine, keyed <c>{tenantId}/{localId}</c>. Its lifecycle is one transition table in the grain;
/// every operation that waits on a host answers at once with a Job and finishes it when the host reports.
/// The generic <see cref="ICimiResourceGrain{TResource}"/> calls serve it too: Get, GetInternal, Update
/// (name, description and properties); Create refuses (a Machine is made from a MachineCreate), and
/// Delete starts the same delete as <see cref="Delete(string, string?)"/> with a Job of its own.
/// </summary>
public interface IMachineGrain : ICimiResourceGrain<Machine>
{
    /// <summary>Resolves the template, stores the Machine as CREATING and starts provisioning.
    /// Fails (and stores nothing) when the template is invalid or references are dangling. <paramref name="system"/>:
    /// the Machine is made by a System (its Job nests in the System's, it is placed by the System's policy, and it
    /// tells the System when its state changes).</summary>
    Task<MachineOperationResult> Create(MachineCreate create, string jobLocalId, Systems.SystemMembership? system = null);

    /// <summary>Runs an action allowed in the current state (else Conflict naming state and action); its Job nests
    /// in <paramref name="parentJobLocalId"/> when given.</summary>
    Task<MachineOperationResult> Act(MachineAction action, bool force, string jobLocalId, string? parentJobLocalId = null);

    /// <summary>Starts deleting the Machine (DELETING until its host has removed it).</summary>
    Task<MachineOperationResult> Delete(string jobLocalId, string? parentJobLocalId = null);

    /// <summary>The Machine becomes a member of System <paramref name="systemKey"/> (null: of none) and tells it of
    /// its state from now on; answers its state. Conflict when it is already another System's.</summary>
    Task<MachineStateName> JoinSystem(string? systemKey);

    /// <summary>
    /// The tail of the Machine's console (at most <paramref name="maxBytes"/> bytes, UTF-8 text) from its
    /// host (<see cref="MachineConsole"/>). Conflict while the Machine has no host; Unavailable while its
    /// host's agent is away. Interleaved, since it waits on the agent and changes nothing: an action or a
    /// read of the Machine never queues behind it.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<string> ReadConsole(int maxBytes);

    /// <summary>The seam to hosts: what a host observed or did for this Machine.</summary>
    Task OnHostReport(HostReport report);

    /// <summary>The disks its configuration gave the Machine (its <c>disks</c> collection).</summary>
    Task<IReadOnlyList<MachineDisk>> GetDisks();

    /// <summary>The Volumes attached to the Machine, or being attached or detached (its <c>volumes</c> collection).</summary>
    Task<IReadOnlyList<Volumes.MachineVolume>> GetVolumes();

    /// <summary>
    /// Attaches the Volume <paramref name="attachment"/> names (same tenant: another tenant's is NotFound)
    /// at its <c>initialLocation</c>: the Volume reserves it first (Conflict naming why it cannot), then the
    /// Machine's host attaches it and the Job says how that went. Conflict while the Machine is in a
    /// transitional state or has another operation in progress. The Machine's state does not change.
    /// </summary>
    Task<MachineVolumeOperationResult> AttachVolume(Volumes.MachineVolume attachment, string jobLocalId);

    /// <summary>Detaches the Volume <paramref name="volumeLocalId"/> (NotFound when it is not attached here).</summary>
    Task<MachineVolumeOperationResult> DetachVolume(string volumeLocalId, string jobLocalId);

    /// <summary>The Machine's interfaces on Networks, attached or on their way (its <c>networkInterfaces</c> collection).</summary>
    Task<IReadOnlyList<MachineNetworkInterface>> GetNetworkInterfaces();

    /// <summary>The Addresses of one interface (its <c>addresses</c> collection); NotFound when it is not the Machine's.</summary>
    Task<IReadOnlyList<MachineNetworkInterfaceAddress>> GetNetworkInterfaceAddresses(string interfaceId);

    /// <summary>
    /// Attaches the Machine to the Network <paramref name="networkInterface"/> names (same tenant: another tenant's is
    /// NotFound): the Network leases the interface its MAC and address first (Conflict naming the Network when it
    /// cannot), then the Machine's host plugs it and the Job says how that went. Conflict while the Machine is in a
    /// transitional state or has another operation in progress. The Machine's state does not change.
    /// </summary>
    Task<MachineNetworkInterfaceOperationResult> AttachNetworkInterface(MachineNetworkInterface networkInterface, string jobLocalId);

    /// <summary>Detaches the interface <paramref name="interfaceId"/> (NotFound when it is not the Machine's); its lease is
    /// given back once the host unplugged it.</summary>
    Task<MachineNetworkInterfaceOperationResult> DetachNetworkInterface(string interfaceId, string jobLocalId);
}

/// <summary>The MachineVolume as it is after an attach or detach was accepted, and the Job that tracks it.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineVolumeOperationResult")]
public sealed record MachineVolumeOperationResult([property: Id(0)] Volumes.MachineVolume MachineVolume, [property: Id(1)] Job Job);

/// <summary>The Machine as it is after an operation was accepted, and the Job that tracks it.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineOperationResult")]
public sealed record MachineOperationResult([property: Id(0)] Machine Machine, [property: Id(1)] Job Job);
