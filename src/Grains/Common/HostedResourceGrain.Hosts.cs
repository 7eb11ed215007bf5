using CimiGrains.Hosts;

namespace CimiGrains.Grains.Common;

/// <summary>What the cluster learns from and about the resource's hosts: reports, reconnection, loss.</summary>
public abstract partial class HostedResourceGrain<TResource, TState, TLifecycle>
{
    /// <summary>What a host observed or did for this resource.</summary>
    public async Task OnHostReport(HostReport report)
    {
        if (Hosted.Resource is null) return;
        await Fresh();
        if (report.CommandId is not null)
        {
            // A command's outcome counts only for the operation in flight; anything else is a repeat
            // or comes from an older generation (a stale activation's command).
            if (Hosted.Pending is { Outcome: null } pending && report.Generation == Hosted.Generation
                && pending.Commands?.FirstOrDefault(c => c.CommandId == report.CommandId && !c.Answered) is { } target)
            {
                var succeeded = report.CommandSucceeded == true;
                await Answered(pending, target with
                {
                    Submitted = true, Answered = true, Succeeded = succeeded, Result = report.ResultImageLocation,
                    Message = report.Message ?? (succeeded ? null : $"Host '{target.HostId}' could not carry out the operation."),
                }, report.State);
            }
            // The host repeats a report the cluster could not store (the database was away): its outcome
            // is decided, so the operation ends now, and a failure goes back to the host to repeat again.
            else if (Hosted.Pending is { Outcome: not null } decided && decided.Commands?.Any(c => c.CommandId == report.CommandId) == true)
                await Settle(decided);
            else LogStaleReport(logger, ResourceId, report.Generation, Hosted.Generation);
            return;
        }
        // An observation is the host's word about the present; while an operation is in flight its own
        // outcome decides, so observations wait for it.
        if (Hosted.Pending is null && Hosted.HostIds.Contains(report.HostId))
            await Observe(report.State, report.Message);
    }

    /// <summary>A host reconnected and either listed this resource's workload (with its generation and
    /// state) or did not (<see cref="ObservedState.Absent"/>). Returns whether the host keeps it.</summary>
    public async Task<HostAdoption> ReconcileWithHost(string hostId, string sessionId, long generation, ObservedState observed)
    {
        var adoption = await ReconcileCoreAsync(hostId, sessionId, generation, observed);
        if (adoption == HostAdoption.Keep && Hosted.Resource is not null) OnHostReconciled(hostId);
        return adoption;
    }

    /// <summary>After a host that keeps the resource reconnected and was reconciled: where a subclass carries on what
    /// had to wait for that host (a Machine undoing an attachment the host may have made). Must not throw.</summary>
    protected virtual void OnHostReconciled(string hostId)
    {
    }

    private async Task<HostAdoption> ReconcileCoreAsync(string hostId, string sessionId, long generation, ObservedState observed)
    {
        await Fresh();
        if (Hosted.Resource is null)
        {
            // Deleted (possibly while its host was away), or never created: the workload is an orphan.
            DeactivateOnIdle();
            return HostAdoption.Remove;
        }
        if (!Hosted.HostIds.Contains(hostId)) return HostAdoption.Remove;
        // An outcome decided but not yet told to its Job ends first: the host's word below must not
        // settle the resource while its Job still runs.
        if (Hosted.Pending is { Outcome: not null } decided)
        {
            await Settle(decided);
            if (Hosted.Resource is null) return HostAdoption.Remove;
        }
        var sessions = new Dictionary<string, string>(Hosted.HostSessions ?? new Dictionary<string, string>()) { [hostId] = sessionId };
        if (Hosted.Pending is { Outcome: null } pending && pending.Commands?.FirstOrDefault(c => c.HostId == hostId) is { } command)
        {
            // The host is back, so the state is its again. A command whose target its inventory shows was
            // done before the host went away (the answer was lost with the session): that is the host's
            // word, and it answers the command. Otherwise the command is sent once more: its outcome may
            // have been reported to a silo that died, and commands are idempotent (same command id and
            // generation), so the host answers with the outcome instead of acting twice.
            if (!command.Answered && ReachedOnHost(pending, generation, observed))
            {
                await CommitAsync(s => (s.HostSessions, s.HostStatus, s.HostAwayUntil) = (sessions, null, null));
                await Answered(Hosted.Pending!, command with { Answered = true, Succeeded = true });
                return HostAdoption.Keep;
            }
            var resend = command.Answered ? pending : pending.With(command with { Submitted = false });
            await CommitAsync(s => (s.HostSessions, s.HostStatus, s.HostAwayUntil, s.Pending) = (sessions, null, null, resend));
            ScheduleResume();
            return HostAdoption.Keep;
        }
        if (Hosted.Pending is not null)
        {
            // Not yet planned, or nothing for this host: the operation goes on from where it stands.
            await CommitAsync(s => s.HostSessions = sessions);
            ScheduleResume();
            return HostAdoption.Keep;
        }
        Hosted.HostSessions = sessions;
        if (observed == ObservedState.Absent)
        {
            Hosted.HostStatus = $"The workload was not found on host '{hostId}' when its agent reconnected at {Now:O}.";
            await Observe(ObservedState.Absent, Hosted.HostStatus, force: true);
            return HostAdoption.Keep;
        }
        Hosted.HostStatus = null;
        await Observe(observed, $"adopted from host '{hostId}' (generation {generation})", force: true);
        return HostAdoption.Keep;
    }

    /// <summary>The agent session <paramref name="sessionId"/> of host <paramref name="hostId"/> ended.</summary>
    public async Task OnHostLost(string hostId, string sessionId, string reason)
    {
        await Fresh();
        if (Hosted.Resource is null || !Hosted.HostIds.Contains(hostId)) return;
        if (Hosted.HostSessions?.GetValueOrDefault(hostId) is { } known && known != sessionId) return;
        var status = $"Host '{hostId}' has been unreachable since {Now:O}: {reason}";
        if (Hosted.Pending is { Outcome: null } pending && pending.Command != HostCommandKind.Delete
            && pending.Commands?.Any(c => c.HostId == hostId && c is { Submitted: true, Answered: false }) == true)
        {
            var grace = scheduling.ReconnectGrace;
            if (grace <= TimeSpan.Zero)
            {
                Hosted.HostStatus = status;
                await Fail(pending, $"Host '{hostId}' went away before confirming the operation: {reason}", ObservedState.Failed);
                return;
            }
            // Unconfirmed is not failed: the host may well have done it (an agent keeps its workloads
            // across restarts). Its inventory when it reconnects decides (ReconcileWithHost); only its
            // absence past the grace fails the operation.
            var until = Now + grace;
            await CommitAsync(s => (s.HostStatus, s.HostAwayUntil) = (status, until));
            await Progress(pending, $"Host '{hostId}' went away before confirming the operation ({reason}); waiting up to {grace.TotalSeconds:0} s for it to reconnect.");
            ScheduleHostAwayCheck(until);
            return;
        }
        Hosted.HostStatus = status;
        if (Hosted.Pending is null) await Observe(ObservedState.Failed, status, force: true);
        else await CommitAsync(s => s.HostStatus = status);
    }

    protected void ScheduleHostAwayCheck(DateTimeOffset until)
    {
        var left = until - Now;
        this.RegisterGrainTimer(_ => CheckHostAway(),
            new GrainTimerCreationOptions(left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    /// <summary>A host went away with a command unconfirmed and has not come back in time: the operation fails.</summary>
    private async Task CheckHostAway()
    {
        await Fresh();
        if (Hosted.Pending is not { Outcome: null } pending || Hosted.HostAwayUntil is not { } until) return;
        var now = Now;
        if (until > now)
        {
            ScheduleHostAwayCheck(until);
            return;
        }
        var waitingOn = pending.Commands?.Where(c => c is { Submitted: true, Answered: false }).Select(c => c.HostId).ToList() ?? [];
        if (now - pending.Accepted < OperationTimeout && await HostsConnected(waitingOn))
        {
            // The agent is back and its inventory is being reconciled (a slow host lists many workloads):
            // that, not the clock, decides. The operation timeout still bounds the wait.
            var later = now + HostRetryInterval * 5;
            await CommitAsync(s => s.HostAwayUntil = later);
            ScheduleHostAwayCheck(later);
            return;
        }
        await Fail(pending,
            $"Host '{string.Join("', '", waitingOn)}' went away before confirming the operation and did not reconnect within " +
            $"{scheduling.ReconnectGrace.TotalSeconds:0} s. {Hosted.HostStatus}", ObservedState.Failed);
    }

    /// <summary>Whether every one of the hosts has an agent session now (false when that cannot be learnt).</summary>
    private async Task<bool> HostsConnected(IReadOnlyList<string> hostIds)
    {
        if (hostIds.Count == 0) return false;
        try
        {
            foreach (var hostId in hostIds)
                if (!(await GrainFactory.GetGrain<IHostGrain>(hostId).GetInfo()).Connected) return false;
            return true;
        }
        catch (Exception e) when (IsSiloLoss(e))
        {
            return false;
        }
    }
}
