using CimiGrains.Jobs;

namespace CimiGrains.Common;

/// <summary>
/// A CIMI Job, keyed <c>{tenantId}/{localId}</c>. The grain that owns an operation creates its Job,
/// reports progress and finishes it; consumers only read, list and delete Jobs.
/// </summary>
public interface IJobGrain : ICimiResourceGrain<Job>
{
    /// <summary>Records the Job as QUEUED/RUNNING for <paramref name="action"/> on <paramref name="target"/>.</summary>
    Task<Job> Begin(string action, ResourceRef target, IReadOnlyList<ResourceRef>? affected, string statusMessage);

    /// <summary>Moves a running Job on; ignored once the Job is finished.</summary>
    Task Progress(int progress, string statusMessage);

    /// <summary>Finishes the Job (SUCCESS or FAILED) with the message the consumer will read.</summary>
    Task Finish(bool succeeded, string statusMessage, IReadOnlyList<ResourceRef>? affected = null);
}
