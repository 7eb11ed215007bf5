using System.Text.Json;
using CimiGrains.Jobs;
using CimiGrains.Machines;
using CimiGrains.Systems;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Systems;

/// <summary>
/// Driving the operation in flight, one step per timer tick. A step reads where every member it concerns stands
/// (their read-model rows, in one query), asks the members for what is not done yet, in parallel, and returns;
/// the next tick sees the result. A member's refusal (400, 404, 409) of a create is the create's failure and
/// turns it into a rollback; anything else (a silo going away, a timeout) is tried again at the next tick.
/// </summary>
public sealed partial class SystemGrain
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private IGrainTimer? _driver;

    /// <summary>Members asked for something in this activation (a repeat in the next tick would only answer Conflict).</summary>
    private readonly HashSet<string> _asked = new(StringComparer.Ordinal);

    /// <summary>Targets of an action that refused it, with why (recomputed after a crash: they refuse again).</summary>
    private readonly Dictionary<string, string> _refused = new(StringComparer.Ordinal);

    /// <summary>Members that refuse their delete, since when and why (a Network with ports, a Volume still attached):
    /// usually for a tick or two, while what holds them goes; for longer than <see cref="SystemOptions.MemberRefusalLimit"/>,
    /// the delete ends FAILED naming them instead of asking for ever. Kept in memory: a crash starts the count again.</summary>
    private readonly Dictionary<string, (DateTimeOffset Since, string Why)> _deleteRefused = new(StringComparer.Ordinal);

    /// <summary>Unstored members whose holds elsewhere were let go of in this activation (<see cref="AbandonAsync"/>).</summary>
    private readonly HashSet<string> _abandoned = new(StringComparer.Ordinal);

    private TimeSpan MemberRefusalLimit => options.Value.MemberRefusalLimit;

    private void StartDriving()
    {
        _driver ??= this.RegisterGrainTimer(async _ =>
        {
            try
            {
                await StepAsync();
            }
            catch (Exception e)
            {
                // The next tick (or the reminder, after a crash) tries again.
                LogStepFailed(logger, ResourceId, e.Message);
            }
        }, new GrainTimerCreationOptions(TimeSpan.Zero, Tick));
    }

    private void StopDriving()
    {
        _driver?.Dispose();
        _driver = null;
        _asked.Clear();
        _refused.Clear();
        _deleteRefused.Clear();
    }

    private async Task StepAsync()
    {
        if (Saved.Operation is not { } op)
        {
            StopDriving();
            return;
        }
        if (op.Succeeded is not null)
        {
            await ConcludeAsync(op);
            return;
        }
        if (Now - op.Accepted > OperationTimeout && op.Failure is null)
        {
            if (op.Kind == SystemOperationKind.Create)
                await RollBackAsync(op, $"The System's components did not all stand within {OperationTimeout.TotalMinutes:0} minutes.");
            else await DecideAsync(op, false, $"The operation did not finish within {OperationTimeout.TotalMinutes:0} minutes.");
            return;
        }
        switch (op.Kind)
        {
            case SystemOperationKind.Create when op.Failure is null:
                await CreateStepAsync(op);
                break;
            case SystemOperationKind.Create:
            case SystemOperationKind.Delete:
                await RemoveStepAsync(op);
                break;
            case SystemOperationKind.Act:
                await ActStepAsync(op);
                break;
        }
    }

    /// <summary>Makes the first wave that does not stand yet; fails at the first member that cannot be made.</summary>
    private async Task CreateStepAsync(SystemOperation op)
    {
        var plan = Plan;
        var rows = await ReadAsync(plan.Members.Select(m => m.Id));
        for (var wave = 0; wave < plan.Waves; wave++)
        {
            var members = plan.Members.Where(m => m.Wave == wave).ToList();
            var missing = members.Where(m => !rows.ContainsKey(m.Id) && !_asked.Contains(m.Id)).ToList();
            if (missing.Count > 0)
            {
                var refusals = await Task.WhenAll(missing.Select(m => CreateMemberAsync(op, m)));
                if (refusals.FirstOrDefault(r => r is not null) is { } refusal)
                {
                    await RollBackAsync(op, refusal);
                    return;
                }
                await ProgressAsync(op, plan, rows.Count + missing.Count);
                return;
            }
            foreach (var m in members)
            {
                if (!rows.TryGetValue(m.Id, out var row)) return; // asked, not stored yet: the next tick sees it
                if (row.State is "ERROR" or "FAILED")
                {
                    // Its create Job says why when that failed; a member made and then lost (its host went away) has a Job that
                    // succeeded, whose message ("The Volume is AVAILABLE.") is no reason: its host status is.
                    var job = (await ReadAsync([ResourceKind.Job.IdOf(MemberJob(op, m))])).Values.FirstOrDefault();
                    var why = job is { State: "FAILED" } ? job.StatusMessage
                        : row.HostStatus is { } hostStatus ? $"it is {row.State}: {hostStatus}" : null;
                    await RollBackAsync(op, $"{Capitalized(m.Describe())} '{m.Id}' failed: {why ?? $"it is {row.State}."}");
                    return;
                }
                if (row.State is "CREATING") return;
            }
        }
        await DecideAsync(op, true, $"The System was created: {plan.Members.Count} resources.");
    }

    /// <summary>Asks for one planned member; answers the failure message when the member refuses, null otherwise.</summary>
    private async Task<string?> CreateMemberAsync(SystemOperation op, PlannedMember m)
    {
        var plan = Plan;
        var key = GrainKeys.Of(TenantId, m.LocalId);
        var jobLocalId = MemberJob(op, m);
        var membership = new SystemMembership(Key, op.JobLocalId, SystemComponents.PlacementGroupOf(Key), Saved.Template?.PlacementPolicy);
        try
        {
            await SystemMemberGrains.Of(m.Kind).Create(GrainFactory, key, plan, m, jobLocalId, membership);
            _asked.Add(m.Id);
            return null;
        }
        catch (CimiException e) when (e.Kind != CimiErrorKind.Unavailable)
        {
            // Made in an earlier try whose answer was lost: it stands, and the next read shows it.
            if (e.Kind == CimiErrorKind.Conflict && e.Message.Contains("already exists", StringComparison.Ordinal)) return null;
            return $"{Capitalized(m.Describe())} was refused: {e.Message}";
        }
        catch (Exception e)
        {
            LogMemberRetry(logger, ResourceId, m.Id, e.Message);
            return null;
        }
    }

    /// <summary>Deletes what the operation must remove, a removal stage at a time (<see cref="SystemMemberGrains"/>:
    /// Machines and Systems first, as they hold Volumes, ports, addresses and Credentials; Networks last, as ports and
    /// Addresses hold them); the System's associated members are only let go.</summary>
    private async Task RemoveStepAsync(SystemOperation op)
    {
        var children = Saved.Members.Where(m => m.Child).ToList();
        var rows = await ReadAsync(children.Select(Id));
        var standing = children.Where(m => rows.ContainsKey(Id(m))).ToList();
        await AbandonAsync(children.Where(m => !rows.ContainsKey(Id(m))));
        var stage = standing.Count == 0 ? 0 : standing.Min(m => SystemMemberGrains.Of(m.Kind).RemovalStage);
        var now = standing.Where(m => SystemMemberGrains.Of(m.Kind).RemovalStage == stage).ToList();
        if (now.Count > 0)
        {
            await Task.WhenAll(now.Where(m => rows[Id(m)].State != "DELETING").Select(m => DeleteMemberAsync(op, m)));
            var stuck = now.Where(m => _deleteRefused.TryGetValue(Id(m), out var r) && Now - r.Since > MemberRefusalLimit).ToList();
            if (stuck.Count > 0)
            {
                var named = string.Join("; ", stuck.Select(m => $"{m.Kind} '{Id(m)}' refused its delete for over {MemberRefusalLimit.TotalSeconds:0} s: {_deleteRefused[Id(m)].Why}"));
                await DecideAsync(op, false, op.Kind == SystemOperationKind.Delete
                    ? $"The System was not deleted: {named}."
                    : $"{op.Failure} Not everything the System had made could be removed: {named}.");
            }
            return;
        }
        foreach (var associated in Saved.Members.Where(m => !m.Child && IsActing(m)))
            await LetGoAsync(associated);
        if (op.Kind == SystemOperationKind.Delete)
            await DecideAsync(op, true, $"The System was deleted, with the {children.Count} resources it created.");
        else
            await DecideAsync(op, false, $"{op.Failure} Everything the System had made was removed.");
    }

    private async Task DeleteMemberAsync(SystemOperation op, SystemMemberRecord m)
    {
        var key = GrainKeys.Of(TenantId, m.LocalId);
        // Job ids of their own: a rollback's deletes are not the create's Jobs.
        var jobLocalId = $"{op.JobLocalId}-r-{m.LocalId[(LocalId.Length + 1)..]}";
        try
        {
            await SystemMemberGrains.Of(m.Kind).Delete(GrainFactory, key, jobLocalId, op.JobLocalId);
            _deleteRefused.Remove(Id(m));
        }
        catch (CimiException e) when (e.Kind is CimiErrorKind.Conflict or CimiErrorKind.Invalid)
        {
            // Busy (a Volume still attached while its Machine goes, a Network with ports): the next tick asks again, within a bound.
            if (!_deleteRefused.TryGetValue(Id(m), out var refused)) refused = (Now, e.Message);
            _deleteRefused[Id(m)] = (refused.Since, e.Message);
            LogMemberRetry(logger, ResourceId, Id(m), e.Message);
        }
        catch (Exception e)
        {
            // Busy (a Volume still attached while its Machine goes, a Network with ports) or away: the next tick asks again.
            LogMemberRetry(logger, ResourceId, Id(m), e.Message);
        }
    }

    /// <summary>Lets go of what members that were never stored may hold elsewhere (a port counted, an address reserved on a
    /// Network, by a create cut short by a crash), once per activation: a rollback or delete then never waits on them.</summary>
    private async Task AbandonAsync(IEnumerable<SystemMemberRecord> unstored)
    {
        var plan = Plan;
        var tasks = new List<Task>();
        foreach (var m in unstored)
        {
            if (SystemMemberGrains.Of(m.Kind).Abandon is not { } abandon || !_abandoned.Add(Id(m))) continue;
            if (plan.Members.FirstOrDefault(p => p.LocalId == m.LocalId) is not { } planned) continue;
            tasks.Add(TryAbandonAsync(() => abandon(GrainFactory, TenantId, GrainKeys.Of(TenantId, m.LocalId), plan, planned), Id(m)));
        }
        await Task.WhenAll(tasks);
    }

    private async Task TryAbandonAsync(Func<Task> abandon, string memberId)
    {
        try
        {
            await abandon();
        }
        catch (CimiException e) when (e.Kind != CimiErrorKind.Unavailable)
        {
            // Its template or Network is gone: nothing is held there any more, or the Network's refusal will say what is.
            LogMemberRetry(logger, ResourceId, memberId, e.Message);
        }
        catch (Exception e)
        {
            // Away: asked again at the next tick.
            _abandoned.Remove(memberId);
            LogMemberRetry(logger, ResourceId, memberId, e.Message);
        }
    }

    private async Task LetGoAsync(SystemMemberRecord m)
    {
        var key = GrainKeys.Of(TenantId, m.LocalId);
        try
        {
            if (m.Kind == SystemMemberKind.Machine) await GrainFactory.GetGrain<IMachineGrain>(key).JoinSystem(null);
        }
        catch (CimiException e) when (e.Kind == CimiErrorKind.NotFound)
        {
            // Gone already.
        }
    }

    /// <summary>Asks every target that has no nested Job yet; done when every target's Job has finished or it refused.</summary>
    private async Task ActStepAsync(SystemOperation op)
    {
        var targets = op.Targets ?? [];
        var jobs = await ReadAsync(targets.Select((_, n) => ResourceKind.Job.IdOf(ActJob(op, n))));
        var ask = targets.Select((id, n) => (Id: id, N: n))
            .Where(t => !jobs.ContainsKey(ResourceKind.Job.IdOf(ActJob(op, t.N))) && !_asked.Contains(t.Id) && !_refused.ContainsKey(t.Id)).ToList();
        if (ask.Count > 0)
        {
            await Task.WhenAll(ask.Select(t => ActOnAsync(op, t.Id, t.N)));
            return;
        }
        var finished = targets.Select((id, n) => (Id: id, Job: jobs.GetValueOrDefault(ResourceKind.Job.IdOf(ActJob(op, n)))))
            .ToList();
        if (finished.Any(t => !_refused.ContainsKey(t.Id) && t.Job?.State is not ("SUCCESS" or "FAILED" or "STOPPED"))) return;
        var failed = finished.Where(t => _refused.ContainsKey(t.Id) || t.Job?.State != "SUCCESS").ToList();
        var name = Name(op.Action!.Value);
        await DecideAsync(op, failed.Count == 0, failed.Count == 0
            ? $"'{name}' succeeded for all {targets.Count} Machines and Systems it went to."
            : $"'{name}' succeeded for {targets.Count - failed.Count} of {targets.Count}; not for " +
              string.Join("; ", failed.Select(f => $"'{f.Id}': {(_refused.TryGetValue(f.Id, out var why) ? why : f.Job?.StatusMessage)}")) + ".");
    }

    private async Task ActOnAsync(SystemOperation op, string memberId, int n)
    {
        if (SystemMemberCollections.MemberOf(memberId) is not { } member) return;
        var key = GrainKeys.Of(TenantId, member.LocalId);
        try
        {
            if (member.Collection.Kind == SystemMemberKind.Machine)
                await GrainFactory.GetGrain<IMachineGrain>(key).Act(op.Action!.Value, op.Force, ActJob(op, n), op.JobLocalId);
            else
                await GrainFactory.GetGrain<ISystemGrain>(key).Act(op.Action!.Value, op.Force, ActJob(op, n), op.JobLocalId);
            _asked.Add(memberId);
        }
        catch (CimiException e) when (e.Kind != CimiErrorKind.Unavailable)
        {
            _refused[memberId] = e.Message;
        }
        catch (Exception e)
        {
            LogMemberRetry(logger, ResourceId, memberId, e.Message);
        }
    }

    /// <summary>The create failed: from now on the operation removes what it made (durable first, so a crash rolls back too).</summary>
    private async Task RollBackAsync(SystemOperation op, string failure)
    {
        LogRollingBack(logger, ResourceId, failure);
        _asked.Clear();
        await CommitAsync(s => s.Operation = op with { Failure = failure });
        await TryAsync(() => Job(op.JobLocalId).Progress(50, $"Rolling back: {failure}"));
    }

    /// <summary>The outcome is durable before the Job hears of it; then the System settles (<see cref="ConcludeAsync"/>).</summary>
    private async Task DecideAsync(SystemOperation op, bool succeeded, string message)
    {
        var decided = op with { Succeeded = succeeded, Message = message };
        await CommitAsync(s => s.Operation = decided);
        await ConcludeAsync(decided);
    }

    private async Task ConcludeAsync(SystemOperation op)
    {
        var succeeded = op.Succeeded!.Value;
        await Job(op.JobLocalId).Finish(succeeded, op.Message!);
        if (op.Kind == SystemOperationKind.Delete && !succeeded)
        {
            // Not deleted: the System stays, in ERROR, with the members still standing, and may be deleted again.
            var children = Saved.Members.Where(m => m.Child).ToList();
            var rows = await ReadAsync(children.Select(Id));
            await CommitAsync(s =>
            {
                s.Operation = null;
                s.Members = [.. s.Members.Where(m => !m.Child || rows.ContainsKey(Id(m)))];
                s.Resource = s.Resource! with { State = SystemStateName.ERROR, Updated = Now };
            });
            StopDriving();
            await StopReminder();
            return;
        }
        if (op.Kind == SystemOperationKind.Delete)
        {
            StopDriving();
            await RemoveAsync();
            await StopReminder();
            return;
        }
        await TryAsync(RefreshMemberStatesAsync);
        var rolledBack = op.Kind == SystemOperationKind.Create && !succeeded;
        await CommitAsync(s =>
        {
            s.Operation = null;
            if (rolledBack) s.Members = [.. s.Members.Where(m => !m.Child)];
            s.Resource = s.Resource! with { State = rolledBack ? SystemStateName.ERROR : Aggregate(s.Members), Updated = Now };
        });
        StopDriving();
        await StopReminder();
    }

    private Task ProgressAsync(SystemOperation op, SystemPlan plan, int asked) =>
        TryAsync(() => Job(op.JobLocalId).Progress(plan.Members.Count == 0 ? 99 : 100 * asked / plan.Members.Count / 2,
            $"{asked} of {plan.Members.Count} resources asked for."));

    /// <summary>The Job of the create of member <paramref name="m"/>: fixed by the plan, like its id.</summary>
    private static string MemberJob(SystemOperation op, PlannedMember m) => $"{op.JobLocalId}-{m.ComponentIndex}-{m.Instance}";

    private static string ActJob(SystemOperation op, int n) => $"{op.JobLocalId}-{n}";

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    /// <summary>What the read model holds of each id (its state and status message), in one query.</summary>
    private async Task<Dictionary<string, MemberRow>> ReadAsync(IEnumerable<string> ids)
    {
        var list = ids.Distinct().ToList();
        var rows = new Dictionary<string, MemberRow>(StringComparer.Ordinal);
        foreach (var chunk in list.Chunk(500))
        {
            foreach (var doc in await ReadModel.GetManyAsync(TenantId, chunk, CancellationToken.None))
            {
                using var json = JsonDocument.Parse(doc.Json);
                string? Text(string name) => json.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                var hostStatus = json.RootElement.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object
                    && p.TryGetProperty(Common.HostedResourceGrain<Machine, Machines.MachineGrainState, MachineStateName>.HostStatusProperty, out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
                rows[doc.Id] = new MemberRow(Text("state"), Text("statusMessage"), hostStatus);
            }
        }
        return rows;
    }

    /// <summary>A member as the read model shows it; <paramref name="HostStatus"/> is its <c>cimigrains.hostStatus</c> property.</summary>
    private sealed record MemberRow(string? State, string? StatusMessage, string? HostStatus = null);

    [LoggerMessage(Level = LogLevel.Information, Message = "System {SystemId}: a step failed ({Error}); the next tick tries again")]
    private static partial void LogStepFailed(ILogger logger, string systemId, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "System {SystemId}: {MemberId} did not answer ({Error}); asked again at the next tick")]
    private static partial void LogMemberRetry(ILogger logger, string systemId, string memberId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "System {SystemId} rolls back its create: {Failure}")]
    private static partial void LogRollingBack(ILogger logger, string systemId, string failure);
}
