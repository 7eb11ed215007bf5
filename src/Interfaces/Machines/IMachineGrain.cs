using CimiGrains.Hosts;
using CimiGrains.Jobs;

namespace CimiGrains.Machines;

/// <summary>
/// A Machine, keyed <c>{tenantId}/{localId}</c>. Its lifecycle is one transition table in the grain;
/// every operation that waits on a host answers at once with a Job and finishes it when the host reports.
/// The generic <see cref="ICimiResourceGrain{TResource}"/> calls serve it too: Get, GetInternal, Update
/// (name, description and properties); Create refuses (a Machine is made from a MachineCreate), and
/// Delete starts the same delete as <see cref="Delete(string)"/> with a Job of its own.
/// </summary>
public interface IMachineGrain : ICimiResourceGrain<Machine>
{
    /// <summary>Resolves the template, stores the Machine as CREATING and starts provisioning.
    /// Fails (and stores nothing) when the template is invalid or references are dangling.</summary>
    Task<MachineOperationResult> Create(MachineCreate create, string jobLocalId);

    /// <summary>Runs an action allowed in the current state (else Conflict naming state and action).</summary>
    Task<MachineOperationResult> Act(MachineAction action, bool force, string jobLocalId);

    /// <summary>Starts deleting the Machine (DELETING until its host has removed it).</summary>
    Task<MachineOperationResult> Delete(string jobLocalId);

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
}

/// <summary>The Machine as it is after an operation was accepted, and the Job that tracks it.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineOperationResult")]
public sealed record MachineOperationResult([property: Id(0)] Machine Machine, [property: Id(1)] Job Job);
