namespace CimiGrains.Grains.Jobs;

/// <summary>How long finished Jobs are kept (CIMI's JobRetention capability).</summary>
public sealed class JobRetentionOptions
{
    /// <summary>How long after it finished a Job is kept; null keeps Jobs until a consumer deletes them.</summary>
    public TimeSpan? Retention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How often the purge runs (at least the reminder minimum of one minute).</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The capability value: minutes, or -1 when Jobs are kept until deleted.</summary>
    public long RetentionMinutes => Retention is { } r ? (long)r.TotalMinutes : -1;
}
