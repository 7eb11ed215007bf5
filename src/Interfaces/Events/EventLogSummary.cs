namespace CimiGrains.Events;

/// <summary>An EventLog's <c>summary</c>: how many of its retained events have each severity.</summary>
[GenerateSerializer, Immutable, Alias("cimi.EventLogSummary")]
public sealed record EventLogSummary
{
    [Id(0)] public long Low { get; init; }
    [Id(1)] public long Medium { get; init; }
    [Id(2)] public long High { get; init; }
    [Id(3)] public long Critical { get; init; }
}
