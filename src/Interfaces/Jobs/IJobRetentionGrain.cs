namespace CimiGrains.Jobs;

/// <summary>
/// Removes finished Jobs once the provider's JobRetention has passed, for every tenant, so that a cloud
/// that runs for years does not keep every Job it ever made. One per cluster (key 0), woken by a reminder.
/// </summary>
[Alias("CimiGrains.Jobs.IJobRetentionGrain")]
public interface IJobRetentionGrain : IGrainWithIntegerKey
{
    /// <summary>Makes sure the periodic purge is scheduled (idempotent; every silo calls it at start).</summary>
    Task Start();

    /// <summary>Deletes the Jobs that finished before <paramref name="finishedBefore"/>; returns how many.</summary>
    Task<int> Purge(DateTimeOffset finishedBefore);
}
