using CimiGrains.Grains.Common;
using CimiGrains.Machines;
using CimiGrains.Systems;

namespace CimiGrains.Grains.Systems;

/// <summary>What a System grain persists: the System, the template it was made from (expanded, so its plan
/// never changes), its members, the operation in flight, and the System it is itself a member of.</summary>
[GenerateSerializer, Alias("cimi.state.System")]
public sealed class SystemGrainState : IResourceState<SystemResource>
{
    [Id(0)] public SystemResource? Resource { get; set; }

    [Id(1)] public long EventSequence { get; set; }

    /// <summary>The template by value, nested ones included (<see cref="SystemTemplates"/>).</summary>
    [Id(2)] public SystemTemplate? Template { get; set; }

    /// <summary>Every member, by kind and local id. Replaced, never changed in place.</summary>
    [Id(3)] public IReadOnlyList<SystemMemberRecord> Members { get; set; } = [];

    [Id(4)] public SystemOperation? Operation { get; set; }

    /// <summary>The System this one is a component of, if any.</summary>
    [Id(5)] public SystemMembership? Membership { get; set; }

    /// <summary>The event of the last commit, kept so that the projection on activation records it if its row was lost (EventLogs).</summary>
    [Id(6)] public DomainEvent? LastEvent { get; set; }

    public IResourceState<SystemResource> Copy() => new SystemGrainState
    {
        Resource = Resource, EventSequence = EventSequence, Template = Template, Members = Members, Operation = Operation, Membership = Membership,
        LastEvent = LastEvent,
    };
}

/// <summary>A member: made by the System from component <see cref="Component"/> (<see cref="Child"/>) or given to
/// it; <see cref="State"/> is a Machine's or System's last known state.</summary>
[GenerateSerializer, Immutable, Alias("cimi.state.SystemMember")]
public sealed record SystemMemberRecord(
    [property: Id(0)] SystemMemberKind Kind,
    [property: Id(1)] string LocalId,
    [property: Id(2)] string? Component,
    [property: Id(3)] bool Child,
    [property: Id(4)] string? State = null);

[GenerateSerializer]
public enum SystemOperationKind
{
    Create,
    Act,
    Delete,
}

/// <summary>
/// The operation in flight. A create runs forward until every component stands, or, once one fails
/// (<see cref="Failure"/> set), rolls back until nothing it made is left. An action's <see cref="Targets"/> are
/// the members it went to, in the order of their nested Jobs' ids. <see cref="Succeeded"/> is the outcome,
/// written before the Job is finished, so that a crash after it only finishes what was decided.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.state.SystemOperation")]
public sealed record SystemOperation(
    [property: Id(0)] SystemOperationKind Kind,
    [property: Id(1)] string JobLocalId,
    [property: Id(2)] DateTimeOffset Accepted,
    [property: Id(3)] MachineAction? Action = null,
    [property: Id(4)] bool Force = false,
    [property: Id(5)] string? Failure = null,
    [property: Id(6)] IReadOnlyList<string>? Targets = null,
    [property: Id(7)] bool? Succeeded = null,
    [property: Id(8)] string? Message = null,
    [property: Id(9)] string? Principal = null,
    [property: Id(10)] string? RequestId = null);
