using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Jobs;

/// <summary>
/// A Job. Only the grain that runs an operation moves its Job on; a finished Job never changes again,
/// so a late or repeated report cannot turn a FAILED Job into a SUCCESS one. A Job with nested Jobs
/// follows them (<c>JobGrain.Nested.cs</c>).
/// </summary>
public sealed partial class JobGrain(
    [PersistentState("job", "cimi")] IPersistentState<JobGrainState> state,
    ResourceReadModel readModel,
    ILogger<JobGrain> logger)
    : CimiResourceGrain<Job, JobGrainState>(state, readModel, ResourceKind.Job), IJobGrain, IRemindable
{
    public override Task<Job> Create(Job document) =>
        throw CimiException.Invalid("Jobs are created by the provider, not by consumers.");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (FollowsNestedJobs) RegisterFollowTimer();
    }

    public async Task<Job> Begin(string action, ResourceRef target, IReadOnlyList<ResourceRef>? affected, string statusMessage,
        string? parentLocalId = null, NestedJobFailure nestedFailure = NestedJobFailure.FailParent)
    {
        if (State.State.Resource is not null) throw CimiException.Conflict($"Job '{ResourceId}' already exists.");
        // The parent lists this Job before it exists: a crash in between leaves a parent that counts a
        // nested Job not yet begun (QUEUED), never a nested Job its parent does not know of.
        if (parentLocalId is not null) await Parent(parentLocalId).AttachNested(new ResourceRef(ResourceId));
        var now = Now;
        await CommitAsync(s =>
        {
            s.NestedFailure = nestedFailure;
            s.Resource = new Job
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
                ParentJob = parentLocalId is null ? null : new ResourceRef(ResourceKind.Job.IdOf(parentLocalId)),
            };
        });
        return Public(State.State.Resource!);
    }

    public async Task Progress(int progress, string statusMessage)
    {
        // No Job: its owner crashed between writing the operation and the Job, so nobody was told of it.
        if (State.State.Resource is not { } job || IsFinished(job)) return;
        await CommitAsync(job with
        {
            State = JobStateName.RUNNING,
            Progress = Math.Clamp(progress, 0, 99),
            StatusMessage = statusMessage,
            TimeOfStatusChange = Now,
        });
        await TellParent();
    }

    public async Task Finish(bool succeeded, string statusMessage, IReadOnlyList<ResourceRef>? affected = null)
    {
        if (State.State.Resource is not { } job || IsFinished(job)) return;
        await CommitAsync(Finished(job, succeeded, statusMessage, affected));
        await TellParent();
    }

    private Job Finished(Job job, bool succeeded, string statusMessage, IReadOnlyList<ResourceRef>? affected = null) => job with
    {
        State = succeeded ? JobStateName.SUCCESS : JobStateName.FAILED,
        Progress = 100,
        ReturnCode = succeeded ? 0 : 1,
        StatusMessage = statusMessage,
        AffectedResources = affected ?? job.AffectedResources,
        TimeOfStatusChange = Now,
        // Also when it finished, for JobRetention: the read model's updated column is what it purges by.
        Updated = Now,
    };

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

    private static bool IsFinished(Job job) => IsFinished(job.State);

    private static bool IsFinished(JobStateName? state) => state is JobStateName.SUCCESS or JobStateName.FAILED or JobStateName.STOPPED;

    private static string ActionName(string action) =>
        action.StartsWith(CimiUris.ActionPrefix, StringComparison.Ordinal) ? action[CimiUris.ActionPrefix.Length..] : action;

    public override Task Delete() =>
        IsFinished(Existing())
            ? base.Delete()
            : throw CimiException.Conflict($"Job '{ResourceId}' is {Existing().State}; only a finished Job can be deleted.");

    protected override string? StateOf(Job resource) => resource.State?.ToString();
}
