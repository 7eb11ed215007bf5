using CimiGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Jobs;

/// <summary>
/// Nested Jobs. A nested Job tells its parent whenever it moves on, and where it stands (best effort, one-way);
/// the parent takes that word without reading the nested Jobs again. What makes
/// the parent follow durably is its reminder, registered before it lists its first nested Job and
/// removed when it finishes: after a crash, or a lost notice, the parent reads its nested Jobs again
/// on the next tick (or when it is next activated) and catches up.
/// </summary>
public sealed partial class JobGrain
{
    private const string FollowReminder = "nested-jobs";

    /// <summary>The reminder's period (Orleans' minimum): the longest a parent lags after a lost notice.</summary>
    private static readonly TimeSpan FollowPeriod = TimeSpan.FromMinutes(1);

    private bool _followReminderRegistered;

    private bool FollowsNestedJobs => State.State.Resource is { NestedJobs.Count: > 0 } job && !IsFinished(job);

    public async Task AttachNested(ResourceRef nestedJob)
    {
        var job = Existing();
        if (job.NestedJobs?.Contains(nestedJob) == true) return;
        if (IsFinished(job)) throw CimiException.Conflict($"Job '{ResourceId}' is {job.State}; a finished Job takes no nested Jobs.");
        if (ResourceKind.Job.LocalIdOf(nestedJob.Href) is null || nestedJob.Href == ResourceId)
            throw CimiException.Invalid($"'{nestedJob.Href}' is not another Job.");
        // Durable before the nested Job is listed: the reminder is what brings a parent back to follow. Registered once
        // per activation (a System's Job takes one nested Job per member: 100 reminder writes for 100 Machines otherwise);
        // an activation that lists nested Jobs already had it registered by the one that listed the first.
        if (!_followReminderRegistered && (job.NestedJobs is not { Count: > 0 } || await this.GetReminder(FollowReminder) is null))
            await this.RegisterOrUpdateReminder(FollowReminder, FollowPeriod, FollowPeriod);
        _followReminderRegistered = true;
        // A List, not a collection expression's hidden type: storage serializers that write type names must read it back.
        await CommitAsync(job with { NestedJobs = (job.NestedJobs ?? []).Append(nestedJob).ToList() });
    }

    /// <summary>Takes the nested Job's word for where it stands: no read of any nested Job, so a parent of N nested
    /// Jobs does O(N) work in all rather than reading all N again on each of their notices. A notice that arrives
    /// after a newer one (one-way messages may overtake each other) moves nothing back.</summary>
    public async Task OnNestedChanged(ResourceRef nestedJob, JobStateName state, int progress, string? statusMessage)
    {
        if (!FollowsNestedJobs || !State.State.Resource!.NestedJobs!.Contains(nestedJob)) return;
        var seen = new Dictionary<string, NestedJobSeen>(State.State.NestedSeen ?? new Dictionary<string, NestedJobSeen>());
        var told = new NestedJobSeen(state, progress, statusMessage);
        if (seen.TryGetValue(nestedJob.Href, out var known) && !IsNewer(told, known)) return;
        seen[nestedJob.Href] = told;
        await MoveOnAsync(seen);
    }

    /// <summary>Whether <paramref name="told"/> is later than <paramref name="known"/>: a Job goes QUEUED → RUNNING →
    /// finished, its progress only grows while it runs, and once finished it never changes.</summary>
    private static bool IsNewer(NestedJobSeen told, NestedJobSeen known)
    {
        static int Rank(JobStateName s) => IsFinished(s) ? 2 : s == JobStateName.QUEUED ? 0 : 1;
        var (t, k) = (Rank(told.State), Rank(known.State));
        return t > k || (t == k && t == 1 && told.Progress >= known.Progress && told != known);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Follow();

    private void RegisterFollowTimer() =>
        this.RegisterGrainTimer(async _ =>
        {
            try
            {
                await Follow();
            }
            catch (Exception e)
            {
                // The reminder tries again.
                LogFollowFailed(ResourceId, e.Message);
            }
        }, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));

    /// <summary>Reads every nested Job and moves this Job on as they stand (see <see cref="Followed"/>).</summary>
    private async Task Follow()
    {
        if (!FollowsNestedJobs)
        {
            await StopFollowing();
            return;
        }
        var job = State.State.Resource!;
        var seen = new Dictionary<string, NestedJobSeen>(State.State.NestedSeen ?? new Dictionary<string, NestedJobSeen>());
        var read = await Task.WhenAll(job.NestedJobs!.Select(async n =>
            (n.Href, Job: await GrainFactory.GetGrain<IJobGrain>(GrainKeys.Of(TenantId, ResourceKind.Job.LocalIdOf(n.Href)!)).GetInternal())));
        foreach (var (href, nested) in read)
        {
            // A nested Job purged since it finished is kept as it was last seen; one not yet stored is QUEUED.
            if (nested is not null) seen[href] = new NestedJobSeen(nested.State ?? JobStateName.QUEUED, nested.Progress ?? 0, nested.StatusMessage);
        }
        await MoveOnAsync(seen);
    }

    /// <summary>Moves this Job on as its nested Jobs stand in <paramref name="seen"/> (see <see cref="Followed"/>), and
    /// tells its own parent once it has finished.</summary>
    private async Task MoveOnAsync(Dictionary<string, NestedJobSeen> seen)
    {
        var job = State.State.Resource!;
        var next = Followed(job, job.NestedJobs!.Select(n => (n.Href, seen.GetValueOrDefault(n.Href))).ToList());
        if (next == job && SameSeen(seen)) return;
        await CommitAsync(s =>
        {
            s.Resource = next;
            s.NestedSeen = seen;
        });
        if (IsFinished(next))
        {
            await StopFollowing();
            await TellParent();
        }
    }

    /// <summary>
    /// The parent as its nested Jobs stand: FAILED as soon as one did not succeed (unless
    /// <see cref="NestedJobFailure.Continue"/>), SUCCESS when all have finished, else RUNNING once any
    /// has started, with the mean of their progress. A Job its owner finishes (<see cref="NestedJobFailure.Owner"/>)
    /// only runs on.
    /// </summary>
    private Job Followed(Job job, IReadOnlyList<(string Href, NestedJobSeen? Seen)> nested)
    {
        var unsuccessful = nested.Where(n => n.Seen is { State: JobStateName.FAILED or JobStateName.STOPPED }).ToList();
        if (unsuccessful.Count > 0 && State.State.NestedFailure == NestedJobFailure.FailParent)
        {
            var (href, seen) = unsuccessful[0];
            return Finished(job, false, $"Nested Job '{href}' {seen!.State}: {seen.StatusMessage}");
        }
        if (nested.All(n => n.Seen is { } s && IsFinished(s.State)) && State.State.NestedFailure != NestedJobFailure.Owner)
        {
            return Finished(job, true, unsuccessful.Count == 0
                ? $"All {nested.Count} nested Jobs succeeded."
                : $"{nested.Count - unsuccessful.Count} of {nested.Count} nested Jobs succeeded; did not succeed: {string.Join(", ", unsuccessful.Select(n => n.Href))}.");
        }
        var started = nested.Count(n => n.Seen is { State: not JobStateName.QUEUED });
        if (started == 0 && job.State == JobStateName.QUEUED) return job;
        var progress = Math.Min(99, (int)nested.Average(n => n.Seen?.Progress ?? 0));
        var message = $"{nested.Count(n => n.Seen is { } s && IsFinished(s.State))} of {nested.Count} nested Jobs finished.";
        if (job.State == JobStateName.RUNNING && job.Progress == progress && job.StatusMessage == message) return job;
        return job with { State = JobStateName.RUNNING, Progress = progress, StatusMessage = message, TimeOfStatusChange = Now };
    }

    private bool SameSeen(IReadOnlyDictionary<string, NestedJobSeen> seen) =>
        State.State.NestedSeen is { } known && known.Count == seen.Count && seen.All(p => known.TryGetValue(p.Key, out var k) && k == p.Value);

    private async Task StopFollowing()
    {
        _followReminderRegistered = false;
        if (await this.GetReminder(FollowReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>Tells the parent, if any, that this Job moved on. Best effort: the parent's reminder catches up.</summary>
    private async Task TellParent()
    {
        if (State.State.Resource?.ParentJob is not { } parent || ResourceKind.Job.LocalIdOf(parent.Href) is not { } parentLocalId) return;
        try
        {
            var job = State.State.Resource!;
            await Parent(parentLocalId).OnNestedChanged(new ResourceRef(ResourceId), job.State ?? JobStateName.QUEUED, job.Progress ?? 0, job.StatusMessage);
        }
        catch (Exception e)
        {
            LogParentNotTold(ResourceId, parent.Href, e.Message);
        }
    }

    private IJobGrain Parent(string parentLocalId) => GrainFactory.GetGrain<IJobGrain>(GrainKeys.Of(TenantId, parentLocalId));

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} could not tell its parent {ParentId} ({Error}); the parent's reminder catches up")]
    private partial void LogParentNotTold(string jobId, string parentId, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} could not read its nested Jobs ({Error}); its reminder tries again")]
    private partial void LogFollowFailed(string jobId, string error);
}
