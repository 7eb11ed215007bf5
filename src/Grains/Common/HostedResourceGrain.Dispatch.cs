using CimiGrains.Hosts;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Common;

/// <summary>Sending an operation's commands to its hosts, waiting for hosts, and retrying steps that could not be stored.</summary>
public abstract partial class HostedResourceGrain<TResource, TState, TLifecycle>
{
    /// <summary>The longest wait between retries of a step while the database is away.</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>How long a dispatch waiting for a host waits before it asks again.</summary>
    protected static readonly TimeSpan HostRetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>Whether this activation has told the pending operation's Job that it waits for a host.</summary>
    private bool _waitingForHost;

    /// <summary>A state write failed, so storage may hold it or not: the next step reads the state first.</summary>
    private bool _stale;

    /// <summary>The wait before the next retry of a step that could not be stored (0 after a success).</summary>
    private TimeSpan _retryDelay;

    /// <summary>Commands this activation planned and has not yet handed to their hosts: only these are known never to
    /// have reached a host (whether a command was sent is not written, see <see cref="Submit"/>).</summary>
    private readonly HashSet<string> _plannedHere = new(StringComparer.Ordinal);

    /// <summary>
    /// Where the operation's commands go: by default the hosts the resource is on. A subclass places a
    /// create here (and may refuse it, or ask to wait for a host).
    /// </summary>
    protected virtual Task<HostPlan> PlanAsync(PendingOperation<TLifecycle> pending) => Task.FromResult(HostPlan.On(Hosted.HostIds));

    /// <summary>The command for one host's part of <paramref name="pending"/>: the one method that knows the command's shape.</summary>
    protected abstract HostCommand BuildCommand(PendingOperation<TLifecycle> pending, PendingHostCommand target);

    /// <summary>
    /// Unlike a plain resource, a hosted one keeps its activation when a write fails (its steps are
    /// retried from a timer within seconds, not from a minute-long reminder); it reads the durable
    /// state again before the next step builds on it.
    /// </summary>
    protected override void OnStateWriteFailed() => _stale = true;

    /// <summary>Whether a failed write left this activation unsure of its durable state (until <see cref="Fresh"/>).</summary>
    protected bool IsStale => _stale;

    /// <summary>Reads the durable state again when a failed write left this activation unsure of it.</summary>
    protected async Task Fresh()
    {
        if (!_stale) return;
        await State.ReadStateAsync();
        _stale = false;
    }

    protected void ScheduleResume() =>
        this.RegisterGrainTimer(_ => Persist(Resume), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));

    /// <summary>Carries the pending operation on from wherever it stands (outcome to settle, commands to send).</summary>
    private async Task Resume()
    {
        await Fresh();
        if (Hosted.Pending is { Outcome: not null } decided) await Settle(decided);
        else await Dispatch();
    }

    /// <summary>
    /// Runs a step that must happen (sending the commands, ending the operation) and, when it fails (the
    /// database or another grain's silo is away), runs it again in a second, backing off to
    /// <see cref="MaxRetryDelay"/>, instead of leaving it to the minute-long reminder: the Job finishes
    /// within seconds of the database coming back.
    /// </summary>
    private async Task Persist(Func<Task> step)
    {
        try
        {
            await step();
            _retryDelay = TimeSpan.Zero;
        }
        catch (Exception e) when (e is not CimiException)
        {
            _retryDelay = _retryDelay == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, _retryDelay.Ticks * 2));
            // A database outage is logged once, by the gateway's tracker (it drops this entry).
            LogStepRetried(logger, ResourceId, _retryDelay.TotalSeconds, e);
            this.RegisterGrainTimer(_ => Persist(Resume), new GrainTimerCreationOptions(_retryDelay, Timeout.InfiniteTimeSpan));
        }
    }

    /// <summary>Sends the pending operation's commands that are not yet with their hosts, planning it first.</summary>
    protected async Task Dispatch()
    {
        if (Hosted.Pending is not { Outcome: null } pending) return;
        if (pending.Commands is null)
        {
            if (pending.Command == HostCommandKind.Delete && Hosted.HostIds.Count == 0)
            {
                await Complete(pending, null);
                return;
            }
            HostPlan plan;
            try
            {
                plan = await PlanAsync(pending);
            }
            catch (Exception e) when (IsSiloLoss(e))
            {
                await WaitForHost(pending, $"the host scheduler is moving to another silo ({e.GetType().Name}).", HostRetryInterval);
                return;
            }
            if (plan.Hosts is null && plan.RetryAfter is { } wait)
            {
                await WaitForHost(pending, plan.Reason, wait);
                return;
            }
            if (plan.Hosts is not { Count: > 0 } hosts)
            {
                await Fail(pending, plan.Reason ?? $"The {Kind.TypeName} has not been placed on a host.", null);
                return;
            }
            var hostIds = hosts;
            pending = pending with { Commands = hosts.Select(h => new PendingHostCommand(h, Guid.NewGuid().ToString("N"))).ToList() };
            foreach (var command in pending.Commands) _plannedHere.Add(command.CommandId);
            var planned = pending;
            await CommitAsync(s =>
            {
                s.Pending = planned;
                s.HostIds = hostIds.Union(s.HostIds).ToList();
                s.Resource = Placed(s.Resource!, s.HostIds);
            });
        }
        foreach (var target in pending.Commands!.Where(c => !c.Submitted).ToList())
        {
            if (!await Submit(pending, target)) return;
            pending = Hosted.Pending!;
        }
    }

    /// <summary>The resource once it knows its hosts (a Machine names its host). The default changes nothing.</summary>
    protected virtual TResource Placed(TResource resource, IReadOnlyList<string> hostIds) => resource;

    /// <summary>Sends one host's command; false when the operation ended or waits (a timer comes back).</summary>
    private async Task<bool> Submit(PendingOperation<TLifecycle> pending, PendingHostCommand target)
    {
        var host = GrainFactory.GetGrain<IHostGrain>(target.HostId);
        try
        {
            await host.Submit(BuildCommand(pending, target));
        }
        catch (CimiException e) when (e.Kind == CimiErrorKind.Unavailable)
        {
            if (pending.Command == HostCommandKind.Delete)
            {
                // The resource goes now; its workload is an orphan that reconciliation removes when the
                // agent reconnects (the grain then answers Remove for it).
                await host.Forget(this.GetPrimaryKeyString());
                return await Answered(pending, target with { Submitted = true, Answered = true, Succeeded = true,
                    Message = $"The {Kind.TypeName} was deleted; host '{target.HostId}' is away, so its workload is removed when the host's agent reconnects." });
            }
            if (await HostReconnectingUntil(host) is { } until)
            {
                // Its agent is restarting or moving to another silo: the operation waits for it.
                var left = until - Now;
                await WaitForHost(pending, $"host '{target.HostId}' is reconnecting.", left < HostRetryInterval ? left : HostRetryInterval);
                return false;
            }
            if (!_plannedHere.Contains(target.CommandId))
            {
                // Planned by an earlier activation, so it may have reached the host before the crash: unconfirmed, not
                // failed. It counts as sent; the host's inventory when its agent reconnects decides (ReconcileWithHost),
                // or the operation's timeout.
                Hosted.Pending = pending.With(target with { Submitted = true });
                return false;
            }
            await Fail(pending, $"Host '{target.HostId}' is not reachable: {e.Message}", null);
            return false;
        }
        catch (Exception e) when (IsSiloLoss(e))
        {
            // The host grain's silo died and is not declared dead yet; the grain reactivates on a live silo
            // then. Sending again is safe: the command keeps its id and generation.
            await WaitForHost(pending, $"host '{target.HostId}' is moving to another silo ({e.GetType().Name}).", HostRetryInterval);
            return false;
        }
        _waitingForHost = false;
        _plannedHere.Remove(target.CommandId);
        // Kept in this activation only, not written: whether a command reached its host is never known for
        // sure after a crash anyway (the call may have failed after the host took it), so a new activation
        // sends every unanswered command again (they are idempotent: same id and generation). Writing it
        // would put a durable step between the command and its answer for nothing.
        var sent = pending.With(target with { Submitted = true });
        Hosted.Pending = sent;
        ProgressInBackground(sent, $"Sent to host '{target.HostId}'.");
        return true;
    }

    /// <summary>
    /// Records one host's answer; when every host has answered, the operation ends (failed when any
    /// host failed). False when the operation ended.
    /// </summary>
    protected async Task<bool> Answered(PendingOperation<TLifecycle> pending, PendingHostCommand answer, ObservedState? observed = null)
    {
        var next = pending.With(answer);
        if (!next.AllAnswered)
        {
            await CommitAsync(s => s.Pending = next);
            return true;
        }
        // Every host answered, so the outcome is the hosts' word, which they give again after a crash (the answer
        // is repeated until it is stored, a re-sent command is answered from the host's memory or inventory): it
        // need not be written before the Job is told. Except for a delete, whose hosts forget the resource as it ends.
        var durable = pending.Command == HostCommandKind.Delete;
        var failed = next.Commands!.Where(c => !c.Succeeded).ToList();
        if (failed.Count > 0)
            await Fail(next, string.Join(" ", failed.Select(c => c.Message ?? $"Host '{c.HostId}' could not carry out the operation.")), observed,
                durable);
        else await Complete(next, next.Commands!.Select(c => c.Result).LastOrDefault(r => r is not null),
            next.Commands!.Count == 1 ? next.Commands[0].Message : null, forgetOnHost: true, durable);
        return false;
    }

    /// <summary>
    /// Asks again after <paramref name="retryAfter"/>; the Job says what it waits for (once per
    /// activation). Bounded: an operation no host took within <see cref="OperationTimeout"/> fails.
    /// </summary>
    private async Task WaitForHost(PendingOperation<TLifecycle> pending, string? reason, TimeSpan retryAfter)
    {
        if (Now - pending.Accepted > OperationTimeout)
        {
            await Fail(pending, $"No host took the operation within {OperationTimeout.TotalMinutes:0} minutes: {reason}", null);
            return;
        }
        if (!_waitingForHost) await Progress(pending, $"Waiting for a host: {reason}");
        _waitingForHost = true;
        if (retryAfter < TimeSpan.Zero) retryAfter = TimeSpan.Zero;
        this.RegisterGrainTimer(_ => Persist(Resume), new GrainTimerCreationOptions(retryAfter, Timeout.InfiniteTimeSpan));
    }

    /// <summary>Until when the host's agent is expected back, or null if it is not (or no longer).</summary>
    private async Task<DateTimeOffset?> HostReconnectingUntil(IHostGrain host)
    {
        try
        {
            var info = await host.GetInfo();
            return info.IsReconnecting(Now) ? info.ReconnectingUntil : null;
        }
        catch (Exception e) when (IsSiloLoss(e))
        {
            return Now + HostRetryInterval;
        }
    }

    /// <summary>A call that failed because the silo of its target died (and is not yet declared dead).</summary>
    protected static bool IsSiloLoss(Exception e) =>
        e is Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException or TimeoutException;

    /// <summary>Tells the Job how the operation stands without waiting for it: the host's answer must not queue
    /// behind the Job's write. Best effort, like <see cref="Progress"/>: a Job that finishes first ignores it.</summary>
    private void ProgressInBackground(PendingOperation<TLifecycle> pending, string message) =>
        Progress(pending, message).ContinueWith(
            t => LogProgressLost(logger, ResourceId, t.Exception!.GetBaseException().GetType().Name),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>Tells the Job how the operation stands; best effort (the outcome, not progress, is what must be durable).</summary>
    protected async Task Progress(PendingOperation<TLifecycle> pending, string message)
    {
        try
        {
            await Job(pending.JobLocalId).Progress(pending.Commands?.Any(c => c.Submitted) == true ? 30 : 10, message);
        }
        catch (Exception e) when (IsSiloLoss(e))
        {
            LogProgressLost(logger, ResourceId, e.GetType().Name);
        }
    }
}
