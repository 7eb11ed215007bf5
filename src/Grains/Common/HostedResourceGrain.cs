using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Hosts;
using CimiGrains.Jobs;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Common;

/// <summary>
/// A CIMI resource realized on one or more hosts (a Machine, later Volumes, Networks, Systems). Every
/// operation is accepted in three durable steps: the transitional state and the pending operation are
/// written, the Job is written, then the answer goes out. The host commands are sent afterwards from a
/// grain timer, and re-sent after a crash: a reminder re-activates the grain while anything is pending,
/// and commands are fenced by generation so a repeat is harmless (whether a command was sent is not
/// written: a new activation sends every unanswered command again). An operation ends with its Job finished,
/// then the resource settled; an outcome the grain decided itself (and a delete's) is written first, so a
/// crash in between resumes from it, while one that is the hosts' answer is given again by the hosts after a
/// crash and is not. Every write goes through the base's
/// <see cref="CimiResourceGrain{TResource, TState}.CommitAsync(Action{TState})"/>.
/// </summary>
/// <remarks>
/// The subclass says what is its own: the lifecycle (<see cref="LifecycleOf"/>, the settled and failed
/// states), where an operation goes (<see cref="PlanAsync"/>), the host command for each host
/// (<see cref="BuildCommand"/>, the one place that knows the command's shape), and how observations map
/// to its states (<see cref="FromObserved"/>). Files: this one (accept, settle, reminder), <c>.Dispatch</c>
/// (sending, waiting for hosts, retries), <c>.Hosts</c> (reports, reconnection, lost hosts).
/// </remarks>
public abstract partial class HostedResourceGrain<TResource, TState, TLifecycle>(
    IPersistentState<TState> state,
    ResourceReadModel readModel,
    ResourceKind kind,
    HostSchedulingOptions scheduling,
    ILogger logger) : CimiResourceGrain<TResource, TState>(state, readModel, kind), IRemindable
    where TResource : CimiResource
    where TState : HostedResourceState<TResource, TLifecycle>, new()
    where TLifecycle : struct, Enum
{
    private const string PendingReminder = Machines.PendingMachineRecovery.PendingReminderName;

    /// <summary>The property that tells a consumer why the host does not vouch for the state.</summary>
    public const string HostStatusProperty = "cimigrains.hostStatus";

    /// <summary>How long the hosts may take to confirm an operation before its Job fails.</summary>
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Reminder period: the longest a pending operation waits after a crash (Orleans' minimum).</summary>
    private static readonly TimeSpan RecoveryDelay = TimeSpan.FromMinutes(1);

    protected ResourceRef Self => new(ResourceId);

    protected TState Hosted => State.State;

    protected abstract TLifecycle LifecycleOf(TResource resource);

    protected abstract TResource WithLifecycle(TResource resource, TLifecycle lifecycle);

    /// <summary>The state a successful operation settles in.</summary>
    protected abstract TLifecycle SettledState(PendingOperation<TLifecycle> pending);

    /// <summary>The state a failed operation falls back to (<paramref name="observed"/>: what the host last saw, if anything).</summary>
    protected abstract TLifecycle FailedState(PendingOperation<TLifecycle> pending, ObservedState? observed);

    /// <summary>The state for what a host sees.</summary>
    protected abstract TLifecycle FromObserved(ObservedState observed, TLifecycle current);

    /// <summary>Whether a host's inventory shows the pending operation done (then it ends without a re-send).</summary>
    protected virtual bool ReachedOnHost(PendingOperation<TLifecycle> pending, long generation, ObservedState observed) => false;

    /// <summary>Moves on what the operation wrote to besides the resource (a capture's image) as it ends,
    /// taken over or not; returns the resources the Job affected when that is more than the resource.</summary>
    protected virtual Task<IReadOnlyList<ResourceRef>?> OnOperationEndedAsync(PendingOperation<TLifecycle> ended) =>
        Task.FromResult<IReadOnlyList<ResourceRef>?>(null);

    protected override string? StateOf(TResource resource) => LifecycleOf(resource).ToString();

    /// <summary>The public resource with the host status rendered as a property (never stored there).</summary>
    protected TResource WithHostStatus(TResource resource) => Hosted.HostStatus is not { } hostStatus ? resource : resource with
    {
        Properties = new Dictionary<string, string>(resource.Properties ?? new Dictionary<string, string>()) { [HostStatusProperty] = hostStatus },
    };

    /// <summary>The host status shows on every hosted resource, whatever else its type renders.</summary>
    protected override TResource Public(TResource resource) => WithHostStatus(base.Public(resource));

    /// <summary>Properties as a consumer sends them back: a GET-then-PUT must not freeze the host status.</summary>
    protected static IReadOnlyDictionary<string, string>? WithoutHostStatus(IReadOnlyDictionary<string, string>? properties) =>
        properties?.Where(p => p.Key != HostStatusProperty).ToDictionary(p => p.Key, p => p.Value);

    /// <summary>Events of a change made for an operation (settled from a timer or a host's report) carry the request that asked for it.</summary>
    protected override (string? Principal, string? CorrelationId) EventOrigin(TState before) =>
        (before.Pending ?? Hosted.Pending) is { } pending && CimiRequestContext.RequestId is null
            ? (pending.Principal, pending.RequestId)
            : base.EventOrigin(before);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (Hosted.Resource is null) return;
        if (Hosted.Pending is not null && (Hosted.Pending.Outcome is not null || Hosted.Pending.Commands?.All(c => c.Submitted) != true))
            ScheduleResume();
        else if (Hosted.HostAwayUntil is { } until) ScheduleHostAwayCheck(until);
    }

    /// <summary>An update builds on what is durable, also after a failed write.</summary>
    public override async Task<TResource> Update(TResource document)
    {
        await Fresh();
        return await base.Update(document);
    }

    /// <summary>Consumers create hosted resources through their own create document and a Job.</summary>
    public override Task<TResource> Create(TResource document) =>
        throw CimiException.Invalid($"A {Kind.TypeName} is created from a {Kind.TypeName}Create document, and answered with a Job.");

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        await Fresh();
        if (Hosted.Pending is not { } pending)
        {
            await StopReminder();
            return;
        }
        if (pending.Outcome is not null) await Settle(pending);
        else if (pending.Commands?.All(c => c.Submitted) != true) await Dispatch();
        else if (Hosted.HostAwayUntil is not null) await CheckHostAway();
        else if (Now - pending.Accepted > OperationTimeout)
            await Fail(pending, $"The host did not confirm the operation within {OperationTimeout.TotalMinutes:0} minutes.", null);
    }

    /// <summary>
    /// Accepts an operation: the resource shows <paramref name="transitional"/>, the operation and its
    /// Job are durable, then it returns. A delete (or a forced stop) may take over from an operation
    /// still in flight: that operation's Job ends first, so no Job is ever left open. <paramref name="setUp"/>
    /// changes the state in the same write (a create stores its resource there). <paramref name="parentJobLocalId"/>
    /// nests the operation's Job in that Job (a System's).
    /// </summary>
    protected async Task<(TResource Resource, Job Job)> Accept(
        HostCommandKind command, TLifecycle transitional, string jobLocalId, string action, bool force, string message,
        IReadOnlyDictionary<string, string>? parameters = null, Action<TState>? setUp = null, string? parentJobLocalId = null)
    {
        await Fresh();
        var superseded = Hosted.Pending;
        if (superseded is not null)
        {
            await OnOperationEndedAsync(superseded with { Outcome = superseded.Outcome ?? new(false, "Taken over.", superseded.Before) });
            await Job(superseded.JobLocalId).Finish(superseded.Outcome?.Succeeded ?? false,
                superseded.Outcome?.Message ?? $"Taken over by '{action}' before the host confirmed it.");
        }
        // A create has no state before it: it falls back to its transitional state (then to the failed one).
        var before = superseded?.Before ?? (Hosted.Resource is { } current ? LifecycleOf(current) : transitional);
        // The reminder is what brings a pending operation back after a crash, so it is durable before the
        // operation is: a crash after this line leaves either nothing pending (the reminder then removes
        // itself) or a pending operation that the reminder finishes. The timer is the fast path here.
        await RegisterPendingReminderAsync();
        var pending = new PendingOperation<TLifecycle>(jobLocalId, command, before, Now, force, Parameters: parameters,
            Principal: CimiRequestContext.Principal, RequestId: CimiRequestContext.RequestId);
        await CommitAsync(s =>
        {
            setUp?.Invoke(s);
            s.Generation++;
            s.HostAwayUntil = null;
            s.Pending = pending;
            s.Resource = WithLifecycle(s.Resource!, transitional);
        });
        // Nested in a System's Job when the System asked for it: the System's Job then follows this one. Jobs nested in
        // this one (a Machine create's new Volumes) move it on but never finish it: this grain does, with the outcome.
        var job = await Job(jobLocalId).Begin(action, Self, [Self], message, parentJobLocalId, NestedJobFailure.Owner);
        ScheduleResume();
        return (Public(Hosted.Resource!), job);
    }

    /// <summary>The operation succeeded on every host it went to (or needs none). <paramref name="durable"/>: see <see cref="Settle"/>.</summary>
    protected Task Complete(PendingOperation<TLifecycle> pending, string? result, string? message = null, bool forgetOnHost = false,
        bool durable = true)
    {
        if (pending.Command == HostCommandKind.Delete)
            return Settle(pending with { Outcome = new(true, message ?? $"The {Kind.TypeName} was deleted.", pending.Before, forgetOnHost) });
        var settled = SettledState(pending);
        return Settle(pending with { Outcome = new(true, message ?? $"The {Kind.TypeName} is {settled}.", settled, Result: result) }, durable);
    }

    protected Task Fail(PendingOperation<TLifecycle> pending, string message, ObservedState? observed, bool durable = true)
    {
        LogOperationFailed(logger, ResourceId, pending.Command, message);
        return Settle(pending with { Outcome = new(false, message, FailedState(pending, observed)) }, durable);
    }

    /// <summary>
    /// Ends an operation whose outcome is decided. The outcome is durable first (the resource still
    /// shows its transitional state, so the recovery at silo start finds it); then what it wrote to and
    /// the Job are told (both ignore a repeat: a finished Job never changes); then the resource settles,
    /// or goes for a delete. Resumed from the start after a crash. An outcome that is the hosts' answer
    /// (<paramref name="durable"/> false) is not written first: after a crash the hosts answer again, and
    /// the same answer decides the same way, so the operation ends in one write instead of two.
    /// </summary>
    protected async Task Settle(PendingOperation<TLifecycle> decided, bool durable = true)
    {
        var outcome = decided.Outcome!;
        if (Hosted.Pending != decided)
        {
            if (durable) await CommitAsync(s => s.Pending = decided);
            else Hosted.Pending = decided;
        }
        var affected = await OnOperationEndedAsync(decided);
        if (decided.Command == HostCommandKind.Delete && outcome.Succeeded)
        {
            if (outcome.ForgetOnHost)
                foreach (var hostId in Hosted.HostIds) await GrainFactory.GetGrain<IHostGrain>(hostId).Forget(this.GetPrimaryKeyString());
            await Job(decided.JobLocalId).Finish(true, outcome.Message);
            await RemoveAsync();
            // Only once the resource is gone: until then the reminder is what brings a failed removal back.
            await StopReminder();
            return;
        }
        await Job(decided.JobLocalId).Finish(outcome.Succeeded, outcome.Message, outcome.Succeeded ? affected : null);
        await CommitAsync(s =>
        {
            s.Pending = null;
            s.HostAwayUntil = null;
            s.Resource = WithLifecycle(s.Resource!, outcome.Settled);
            if (outcome.Succeeded) s.HostStatus = null;
        });
        StopReminderSoon();
    }

    /// <summary>Takes a host's word for the state. <paramref name="force"/> stores even when the state is
    /// unchanged (the host status changed with it).</summary>
    protected async Task Observe(ObservedState observed, string? message, bool force = false)
    {
        var current = LifecycleOf(Hosted.Resource!);
        var seen = FromObserved(observed, current);
        var lost = observed is ObservedState.Absent or ObservedState.Failed;
        if (current.Equals(seen) && !force && !lost && Hosted.HostStatus is null) return;
        if (!current.Equals(seen)) LogObservedChange(logger, ResourceId, current.ToString(), seen.ToString(), message);
        await CommitAsync(s =>
        {
            if (!lost) s.HostStatus = null;
            else s.HostStatus ??= message ?? $"The host reported the workload as {observed}.";
            s.Resource = WithLifecycle(s.Resource!, seen);
        });
    }

    protected IJobGrain Job(string jobLocalId) => GrainFactory.GetGrain<IJobGrain>(GrainKeys.Of(TenantId, jobLocalId));

    /// <summary>Makes the grain come back after a crash (and the silo-start sweep find it) before a step that is not
    /// yet a pending operation is stored: a Machine's Volume reservation, which its activation releases if nothing
    /// carries it on. The reminder removes itself at its first tick with nothing pending.</summary>
    protected async Task RegisterPendingReminderAsync()
    {
        // Registered at most once per activation: an operation accepted right after another finds it still there.
        if (_reminderRegistered) return;
        await this.RegisterOrUpdateReminder(PendingReminder, RecoveryDelay, RecoveryDelay);
        _reminderRegistered = true;
    }

    /// <summary>Whether this activation registered the reminder and has not removed it since.</summary>
    private bool _reminderRegistered;

    private async Task StopReminder()
    {
        _reminderRegistered = false;
        if (await this.GetReminder(PendingReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    /// <summary>
    /// Removes the reminder once the turn that settled the operation is over, unless another operation was
    /// accepted by then: the settled state is answered without waiting for the reminder table. A crash before it
    /// leaves a reminder whose next tick finds nothing pending and removes itself.
    /// </summary>
    private void StopReminderSoon() =>
        this.RegisterGrainTimer(async _ =>
        {
            if (Hosted.Pending is not null || Hosted.Resource is null) return;
            try
            {
                await StopReminder();
            }
            catch (Exception e)
            {
                LogReminderNotRemoved(logger, ResourceId, e.GetType().Name);
            }
        }, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
}
