namespace CimiGrains.Meters;

/// <summary>
/// Access to one measurable aspect of a resource (DSP0263 §5.17): <see cref="TargetResource"/> and
/// <see cref="Aspect"/> are fixed at creation; its samples are what the target's host measured
/// (<c>meters/{id}/samples</c>). <see cref="State"/> (STARTED or STOPPED) and the alarm thresholds
/// are CimiGrains extensions, declared in the Meter ResourceMetadata.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.Meter")]
public sealed record Meter : CimiResource
{
    [Id(0)] public ResourceRef? TargetResource { get; init; }
    [Id(1)] public string? Aspect { get; init; }
    [Id(2)] public string? Units { get; init; }

    /// <summary>Seconds between samples; at least the host's sampling period.</summary>
    [Id(3)] public int? SampleInterval { get; init; }

    /// <summary><c>Point</c> (each sample is a reading) or <c>Interval</c> (each sample aggregates <see cref="IntervalDuration"/>).</summary>
    [Id(4)] public string? TimeScope { get; init; }

    /// <summary>An xs:duration (<c>PT1M</c>): the width of the aggregation intervals of the samples collection.</summary>
    [Id(5)] public string? IntervalDuration { get; init; }

    [Id(6)] public bool? IsContinuous { get; init; }
    [Id(7)] public ResourceRef? Samples { get; init; }

    /// <summary>The smallest and largest value sampled while the Meter ran (provider-set).</summary>
    [Id(8)] public string? MinValue { get; init; }
    [Id(9)] public string? MaxValue { get; init; }

    /// <summary>When the Meter stops sampling by itself; absent: never.</summary>
    [Id(10)] public DateTimeOffset? StopTime { get; init; }

    /// <summary>When the Meter and its samples may be deleted by the provider; absent: never.</summary>
    [Id(11)] public DateTimeOffset? ExpiresTime { get; init; }

    [Id(12)] public string? State { get; init; }

    /// <summary>Extension: a value above this raises an alarm Event.</summary>
    [Id(13)] public string? AlarmThreshold { get; init; }

    /// <summary>Extension: a raised alarm clears when a value is at or below this (absent: the threshold).</summary>
    [Id(14)] public string? AlarmClearThreshold { get; init; }

    /// <summary>Extension (provider-set): whether the alarm is raised now.</summary>
    [Id(15)] public bool? AlarmRaised { get; init; }

    /// <summary>
    /// When the Meter was stopped (the last one open while it is): its samples collection leaves these
    /// periods out, since the series is the target's and went on. Kept in the grain only, not in the document.
    /// </summary>
    [Id(16), System.Text.Json.Serialization.JsonIgnore, System.Xml.Serialization.XmlIgnore]
    public IReadOnlyList<MeterStoppedPeriod>? StoppedPeriods { get; init; }
}

/// <summary>A period a Meter was stopped: from <see cref="From"/> until <see cref="To"/> (null: still stopped).</summary>
[GenerateSerializer, Immutable, Alias("cimi.MeterStoppedPeriod")]
public sealed record MeterStoppedPeriod([property: Id(0)] DateTimeOffset From, [property: Id(1)] DateTimeOffset? To);
