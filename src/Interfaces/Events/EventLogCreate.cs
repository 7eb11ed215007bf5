namespace CimiGrains.Events;

/// <summary>The body POSTed to the eventLogs collection: makes the log of the template's target explicit.</summary>
[GenerateSerializer, Immutable, Alias("cimi.EventLogCreate")]
public sealed record EventLogCreate : CimiResource
{
    [Id(0)] public EventLogTemplate? EventLogTemplate { get; init; }
}
