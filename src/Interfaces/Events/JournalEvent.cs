namespace CimiGrains.Events;

/// <summary>The four kinds of CIMI Event (DSP0263 1.1, Event <c>type</c>: …/event/state, alarm, model, access).</summary>
[GenerateSerializer]
public enum CimiEventType
{
    State,
    Alarm,
    Model,
    Access,
}

/// <summary>An Event's <c>severity</c> (DSP0263: critical, high, medium, low).</summary>
[GenerateSerializer]
public enum CimiEventSeverity
{
    Low,
    Medium,
    High,
    Critical,
}

/// <summary>An Event's <c>outcome</c> (DSP0263: Pending, Unknown, Status, Success, Warning, Failure).</summary>
[GenerateSerializer]
public enum CimiEventOutcome
{
    Pending,
    Unknown,
    Status,
    Success,
    Warning,
    Failure,
}

/// <summary>
/// One event that no resource commit raises by itself: a meter's alarm crossing a threshold or clearing,
/// a refused login, a refused cross-tenant request. (State and model events come from the resources'
/// <see cref="DomainEvent"/>s.) <see cref="Content"/> holds the type's content fields by their CIMI
/// names: alarm <c>code</c>, <c>detail</c>; model <c>change</c>, <c>detail</c>; access <c>operation</c>,
/// <c>initiator</c>, <c>detail</c>; state <c>state</c>, <c>previous</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.JournalEvent")]
public sealed record JournalEvent(
    [property: Id(0)] string TenantId,
    [property: Id(1)] CimiEventType Type,
    [property: Id(2)] string? ResourceType,
    [property: Id(3)] string? ResourceId,
    [property: Id(4)] string? ResourceName,
    [property: Id(5)] CimiEventOutcome Outcome,
    [property: Id(6)] CimiEventSeverity Severity,
    [property: Id(7)] DateTimeOffset Time,
    [property: Id(8)] string? Contact,
    [property: Id(9)] IReadOnlyDictionary<string, string?> Content);
