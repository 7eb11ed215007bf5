using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Jobs;

namespace CimiGrains.Grains.Jobs;

/// <summary>
/// A Job. Only the grain that runs an operation moves its Job on; a finished Job never changes again,
/// so a late or repeated report cannot turn a FAILED Job into a SUCCESS one.
/// </summary>
public sealed class JobGrain(
    [PersistentState("job", "cimi")] IPersistentState<ResourceState<Job>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<Job>(state, readModel, ResourceKind.Job), IJobGrain
{
    public override Task<Job> Create(Job document) =>
        throw CimiException.Invalid("Jobs are created by the provider, not by consumers.");

    public async Task<Job> Begin(string action, ResourceRef target, IReadOnlyList<ResourceRef>? affected, string statusMessage)
    {
        if (State.State.Resource is not null) throw CimiException.Conflict($"Job '{ResourceId}' already exists.");
        var now = DateTimeOffset.UtcNow;
        await CommitAsync(previous: null, new Job
        {
            Id = ResourceId,
            Name = $"{ActionName(action)} {target.Href}",
            Created = now,
            Updated = now,
            // QUEUED until the owner reports progress: nothing has been asked of a host yet.
            State = JobStateName.QUEUED,
            Action = action,
            TargetResource = target,
            AffectedResources = affected,
            Progress = 0,
            StatusMessage = statusMessage,
            TimeOfStatusChange = now,
        });
        return Public(State.State.Resource!);
    }

    public async Task Progress(int progress, string statusMessage)
    {
        // No Job: its owner crashed between writing the operation and the Job, so nobody was told of it.
        if (State.State.Resource is not { } job || IsFinished(job)) return;
        await CommitAsync(job, job with
        {
            State = JobStateName.RUNNING,
            Progress = Math.Clamp(progress, 0, 99),
            StatusMessage = statusMessage,
            TimeOfStatusChange = DateTimeOffset.UtcNow,
        });
    }

    public async Task Finish(bool succeeded, string statusMessage, IReadOnlyList<ResourceRef>? affected = null)
    {
        if (State.State.Resource is not { } job || IsFinished(job)) return;
        await CommitAsync(job, job with
        {
            State = succeeded ? JobStateName.SUCCESS : JobStateName.FAILED,
            Progress = 100,
            ReturnCode = succeeded ? 0 : 1,
            StatusMessage = statusMessage,
            AffectedResources = affected ?? job.AffectedResources,
            TimeOfStatusChange = DateTimeOffset.UtcNow,
            // Also when it finished, for JobRetention: the read model's updated column is what it purges by.
            Updated = DateTimeOffset.UtcNow,
        });
    }

    protected override Task<Job> ValidateAsync(Job document)
    {
        CommonValidation.Check(document);
        // Only the common attributes of a Job are the consumer's to edit.
        var current = Existing();
        return Task.FromResult(current with
        {
            Name = document.Name, Description = document.Description, Properties = document.Properties,
        });
    }

    protected override Job Public(Job resource) => resource with
    {
        Operations = IsFinished(resource)
            ? [new Operation("edit", ResourceId), new Operation("delete", ResourceId)]
            : [new Operation("edit", ResourceId)],
    };

    private static bool IsFinished(Job job) => job.State is JobStateName.SUCCESS or JobStateName.FAILED or JobStateName.STOPPED;

    private static string ActionName(string action) =>
        action.StartsWith(CimiUris.ActionPrefix, StringComparison.Ordinal) ? action[CimiUris.ActionPrefix.Length..] : action;

    public override Task Delete() =>
        IsFinished(Existing())
            ? base.Delete()
            : throw CimiException.Conflict($"Job '{ResourceId}' is {Existing().State}; only a finished Job can be deleted.");

    protected override string? StateOf(Job resource) => resource.State?.ToString();
}
