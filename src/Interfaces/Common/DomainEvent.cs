namespace CimiGrains.Common;

/// <summary>What happened to a resource.</summary>
[GenerateSerializer]
public enum DomainEventKind
{
    Created,
    Updated,
    /// <summary>The resource's lifecycle state changed (a Machine STARTING → STARTED, a Job RUNNING → SUCCESS).</summary>
    StateChanged,
    Deleted,
}

/// <summary>
/// One change to one resource, as its grain committed it. <see cref="Sequence"/> counts the changes of
/// that resource from 1 and is stored with its state in the same write, so the events of a resource are
/// ordered and numbered without gaps for as long as the resource lives.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.DomainEvent")]
public sealed record DomainEvent(
    [property: Id(0)] string TenantId,
    [property: Id(1)] string ResourceType,
    [property: Id(2)] string ResourceId,
    [property: Id(3)] long Sequence,
    [property: Id(4)] DomainEventKind Kind,
    [property: Id(5)] string? OldState,
    [property: Id(6)] string? NewState,
    [property: Id(7)] DateTimeOffset Time,
    [property: Id(8)] string? Principal,
    [property: Id(9)] string? CorrelationId);
