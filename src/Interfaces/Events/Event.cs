namespace CimiGrains.Events;

/// <summary>
/// One CIMI Event (DSP0263 Event): immutable once recorded. Its id is <c>events/{n}</c>, where n is its
/// position in the cluster-wide journal (also its SSE <c>id:</c> on the live stream). Stored as a row of
/// <c>cimi_event</c>, not as a grain: there are many, none ever changes, and they are read in ranges.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.Event")]
public sealed record Event : CimiResource
{
    [Id(0)] public DateTimeOffset? Timestamp { get; init; }

    /// <summary>The type URI, <c>http://schemas.dmtf.org/cimi/1/event/{state|alarm|model|access}</c>.</summary>
    [Id(1)] public string? Type { get; init; }

    [Id(2)] public EventContent? Content { get; init; }

    /// <summary>Pending, Unknown, Status, Success, Warning or Failure.</summary>
    [Id(3)] public string? Outcome { get; init; }

    /// <summary>critical, high, medium or low.</summary>
    [Id(4)] public string? Severity { get; init; }

    /// <summary>Who caused the event (the principal of the request), when known.</summary>
    [Id(5)] public string? Contact { get; init; }
}
