using CimiGrains.Jobs;

namespace CimiGrains.Common;

/// <summary>
/// A CIMI Job, keyed <c>{tenantId}/{localId}</c>. The grain that owns an operation creates its Job,
/// reports progress and finishes it; consumers only read, list and delete Jobs. A Job may be begun
/// under a parent Job of the same tenant: the child names its <c>parentJob</c>, the parent lists it in
/// <c>nestedJobs</c>, and the parent's state and progress follow its nested Jobs'.
/// </summary>
public interface IJobGrain : ICimiResourceGrain<Job>
{
    /// <summary>Records the Job as QUEUED for <paramref name="action"/> on <paramref name="target"/>.
    /// With <paramref name="parentLocalId"/>, the Job is nested in that Job, which lists it before this
    /// Job is stored (Conflict when the parent is missing or finished). <paramref name="nestedFailure"/>
    /// says what this Job does when one of its own nested Jobs fails.</summary>
    Task<Job> Begin(string action, ResourceRef target, IReadOnlyList<ResourceRef>? affected, string statusMessage,
        string? parentLocalId = null, NestedJobFailure nestedFailure = NestedJobFailure.FailParent);

    /// <summary>Moves a running Job on; ignored once the Job is finished.</summary>
    Task Progress(int progress, string statusMessage);

    /// <summary>Finishes the Job (SUCCESS or FAILED) with the message the consumer will read.</summary>
    Task Finish(bool succeeded, string statusMessage, IReadOnlyList<ResourceRef>? affected = null);

    /// <summary>Lists <paramref name="nestedJob"/> as nested in this Job (called by the nested Job's Begin; a repeat is harmless).</summary>
    Task AttachNested(ResourceRef nestedJob);

    /// <summary>Nested Job <paramref name="nestedJob"/> moved on to <paramref name="state"/>: this Job takes its word
    /// (without reading any nested Job: a parent of N nested Jobs costs O(N) over its life, not O(N²)) and follows.
    /// A notice older than what the parent has seen of that Job is ignored.</summary>
    [Orleans.Concurrency.OneWay]
    Task OnNestedChanged(ResourceRef nestedJob, JobStateName state, int progress, string? statusMessage);
}
