using CimiGrains.Hosts;
using CimiGrains.Machines;

namespace CimiGrains.Grains.Machines;

/// <summary>What a Machine grain persists: the public Machine, what it resolved at creation, where it
/// runs, and the one operation in flight.</summary>
[GenerateSerializer, Alias("cimi.state.Machine")]
public sealed class MachineGrainState
{
    [Id(0)] public Machine? Machine { get; set; }

    /// <summary>The resolved template, secrets included; never rendered.</summary>
    [Id(1)] public MachineSpec? Spec { get; set; }

    /// <summary>The state a successful create ends in (the template's initialState, else STARTED).</summary>
    [Id(2)] public MachineStateName InitialState { get; set; }

    [Id(3)] public string? HostId { get; set; }

    /// <summary>Raised with every command; hosts ignore commands older than the newest they have seen.</summary>
    [Id(4)] public long Generation { get; set; }

    [Id(5)] public PendingOperation? Pending { get; set; }

    /// <summary>Why the Machine's state is not known from its host right now (agent away, workload
    /// gone); null while the host vouches for the state. Rendered as property <c>cimigrains.hostStatus</c>.</summary>
    [Id(6)] public string? HostStatus { get; set; }

    /// <summary>The agent session that last reconciled this Machine: a "session lost" notice for an
    /// older session arrives late and is ignored.</summary>
    [Id(7)] public string? HostSession { get; set; }

    /// <summary>Set when the host went away with the pending operation unconfirmed: until then the
    /// operation waits for the host's return and its inventory; after it, the operation fails.</summary>
    [Id(8)] public DateTimeOffset? HostAwayUntil { get; set; }
}

/// <summary>An operation accepted for a Machine and not yet finished.</summary>
[GenerateSerializer, Immutable, Alias("cimi.state.PendingOperation")]
public sealed record PendingOperation(
    [property: Id(0)] string JobLocalId,
    [property: Id(1)] HostCommandKind Command,
    [property: Id(2)] string CommandId,
    [property: Id(3)] MachineStateName Before,
    [property: Id(4)] bool Submitted,
    [property: Id(5)] DateTimeOffset Accepted,
    [property: Id(6)] bool Force,
    [property: Id(7)] string? CaptureImageLocalId = null,
    [property: Id(8)] string? CaptureImageLocation = null,
    [property: Id(9)] OperationOutcome? Outcome = null);

/// <summary>
/// How an operation ended, written before its Job is told or the Machine settles, so that a crash in
/// between finishes the same way after a restart instead of running the operation again.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.state.OperationOutcome")]
public sealed record OperationOutcome(
    [property: Id(0)] bool Succeeded,
    [property: Id(1)] string Message,
    [property: Id(2)] MachineStateName Settled,
    [property: Id(3)] bool ForgetOnHost = false,
    [property: Id(4)] string? ImageLocation = null);
