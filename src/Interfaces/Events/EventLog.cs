namespace CimiGrains.Events;

/// <summary>
/// A CIMI EventLog (DSP0263): the events of one resource (<see cref="TargetResource"/> set) or of a whole
/// tenant (the tenant's log, <c>eventLogs/tenant</c>). Implicit: every resource has one from its creation,
/// computed from the event rows when read (<see cref="EventLogIds"/>), so nothing is stored per log.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.EventLog")]
public sealed record EventLog : CimiResource
{
    [Id(0)] public ResourceRef? TargetResource { get; init; }

    /// <summary>The log's events collection (<c>eventLogs/{log}/events</c>).</summary>
    [Id(1)] public ResourceRef? Events { get; init; }

    /// <summary>How long its events are kept (the deployment's retention, e.g. <c>P30D</c>; <c>forever</c>).</summary>
    [Id(2)] public string? Persistence { get; init; }

    [Id(3)] public EventLogSummary? Summary { get; init; }
}
