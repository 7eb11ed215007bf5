namespace CimiGrains.Grains.Meters;

/// <summary>How samples are kept (docs/METERS.md): per deployment, from CIMI_METER_* settings in the Gateway.</summary>
public sealed class MeterSampleOptions
{
    /// <summary>How long samples are kept; older partitions are dropped whole (so up to one partition width longer).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The time each partition covers: a whole number of hours that divides a day (1, 2, 3, 4, 6, 8, 12, 24).</summary>
    public TimeSpan PartitionWidth { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How far ahead partitions exist, so a sample never arrives before its partition.</summary>
    public TimeSpan CreateAhead { get; set; } = TimeSpan.FromHours(48);

    /// <summary>The hosts' sampling period: the shortest sampleInterval a Meter may ask for.</summary>
    public int SamplingPeriodSeconds { get; set; } = 1;

    /// <summary>The most samples written in one COPY.</summary>
    public int BatchSize { get; set; } = 10_000;

    public string? Problem()
    {
        var hours = PartitionWidth.TotalHours;
        if (hours < 1 || hours > 24 || hours != Math.Floor(hours) || 24 % (int)hours != 0)
            return $"the partition width must be a whole number of hours dividing a day, not {PartitionWidth}.";
        if (Retention < PartitionWidth) return $"the retention ({Retention}) must be at least one partition width ({PartitionWidth}).";
        if (SamplingPeriodSeconds < 1) return "the sampling period must be at least 1 second.";
        return null;
    }
}
