using CimiGrains.Hosts;

namespace CimiGrains.Grains.Common;

/// <summary>
/// An operation accepted for a hosted resource and not yet finished: the set of host commands it fans
/// out to (null until it is planned: a create chooses its host first), and, once decided, its outcome.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.state.PendingOperation`1")]
public sealed record PendingOperation<TLifecycle>(
    [property: Id(0)] string JobLocalId,
    [property: Id(1)] HostCommandKind Command,
    [property: Id(2)] TLifecycle Before,
    [property: Id(3)] DateTimeOffset Accepted,
    [property: Id(4)] bool Force,
    [property: Id(5)] IReadOnlyList<PendingHostCommand>? Commands = null,
    [property: Id(6)] IReadOnlyDictionary<string, string>? Parameters = null,
    [property: Id(7)] OperationOutcome<TLifecycle>? Outcome = null,
    [property: Id(8)] string? Principal = null,
    [property: Id(9)] string? RequestId = null)
    where TLifecycle : struct, Enum
{
    /// <summary>A parameter the subclass gave the operation when it accepted it (a capture's image), or null.</summary>
    public string? Parameter(string name) => Parameters?.GetValueOrDefault(name);

    /// <summary>Whether every host command has been answered (vacuously true before planning is never asked).</summary>
    public bool AllAnswered => Commands is { } commands && commands.All(c => c.Answered);

    public PendingOperation<TLifecycle> With(PendingHostCommand changed) =>
        this with { Commands = Commands!.Select(c => c.CommandId == changed.CommandId ? changed : c).ToList() };
}

/// <summary>One host's part of an operation. The command id stays the same across re-sends, so a host
/// that already did it answers with its outcome instead of acting twice.</summary>
[GenerateSerializer, Immutable, Alias("cimi.state.PendingHostCommand")]
public sealed record PendingHostCommand(
    [property: Id(0)] string HostId,
    [property: Id(1)] string CommandId,
    [property: Id(2)] bool Submitted = false,
    [property: Id(3)] bool Answered = false,
    [property: Id(4)] bool Succeeded = false,
    [property: Id(5)] string? Message = null,
    [property: Id(6)] string? Result = null);

/// <summary>
/// How an operation ended, written before its Job is told or the resource settles, so that a crash in
/// between finishes the same way after a restart instead of running the operation again.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.state.OperationOutcome`1")]
public sealed record OperationOutcome<TLifecycle>(
    [property: Id(0)] bool Succeeded,
    [property: Id(1)] string Message,
    [property: Id(2)] TLifecycle Settled,
    [property: Id(3)] bool ForgetOnHost = false,
    [property: Id(4)] string? Result = null)
    where TLifecycle : struct, Enum;
