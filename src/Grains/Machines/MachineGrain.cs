using CimiGrains.Credentials;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Machines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// A Machine. Every operation is accepted in three durable steps: the transitional state and the
/// pending operation are written, the Job is written, then the answer goes out. The host command is
/// sent afterwards from a grain timer, and re-sent after a crash: a reminder re-activates the grain
/// while anything is pending, and commands are fenced by generation so a repeat is harmless. An
/// operation ends in three durable steps too: its outcome is written into the pending operation, the
/// Job is finished, then the Machine settles; a crash between them resumes from the outcome.
/// </summary>
public sealed partial class MachineGrain(
    [PersistentState("machine", "cimi")] IPersistentState<MachineGrainState> state,
    ResourceReadModel readModel,
    IOptions<PublicImageOptions> publicImages,
    IOptions<HostSchedulingOptions> scheduling,
    ILogger<MachineGrain> logger) : Grain, IMachineGrain, IHostedMachineGrain, IRemindable
{
    private const string PendingReminder = "pending-operation";

    /// <summary>Whether this activation has told the pending operation's Job that it waits for a host.</summary>
    private bool _waitingForHost;

    /// <summary>
    /// A write failed (the database was away), so this activation's state is ahead of storage. The steps
    /// that end an operation are retried from memory, and the first of them writes the outcome again.
    /// </summary>
    private bool _unsaved;

    /// <summary>The wait before the next retry of a step that could not be stored (0 after a success).</summary>
    private TimeSpan _retryDelay;

    /// <summary>The longest wait between retries of a step while the database is away.</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>How long a dispatch waiting for a host waits before it asks again.</summary>
    private static readonly TimeSpan HostRetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>The property that tells a consumer why the host does not vouch for the state.</summary>
    public const string HostStatusProperty = "cimigrains.hostStatus";

    /// <summary>How long a host may take to confirm an operation before its Job fails.</summary>
    public static readonly TimeSpan OperationTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Reminder period: the longest a pending operation waits after a crash (Orleans' minimum).</summary>
    private static readonly TimeSpan RecoveryDelay = TimeSpan.FromMinutes(1);

    private string TenantId => GrainKeys.Split(this.GetPrimaryKeyString()).TenantId;
    private string LocalId => GrainKeys.Split(this.GetPrimaryKeyString()).LocalId;
    private string ResourceId => ResourceKind.Machine.IdOf(LocalId);
    private ResourceRef Self => new(ResourceId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Machine is null) return;
        await Project();
        if (state.State.Pending is { Outcome: not null }) ScheduleSettle();
        else if (state.State.Pending is { Submitted: false }) ScheduleDispatch();
        else if (state.State.HostAwayUntil is { } until) ScheduleHostAwayCheck(until);
    }

    public async Task<MachineOperationResult> Create(MachineCreate create, string jobLocalId)
    {
        if (state.State.Machine is not null) throw CimiException.Conflict($"Machine '{ResourceId}' already exists.");
        CommonValidation.Check(create);
        var template = create.MachineTemplate
            ?? throw CimiException.Invalid("MachineCreate needs a 'machineTemplate' (by reference, by value, or both).");
        var (spec, initial, configRef, imageRef, cpuArch) = await ResolveAsync(template);

        var now = DateTimeOffset.UtcNow;
        state.State.Machine = new Machine
        {
            Id = ResourceId,
            Name = create.Name,
            Description = create.Description,
            Properties = create.Properties,
            Created = now,
            Updated = now,
            State = MachineStateName.CREATING,
            Cpu = spec.Cpu,
            Memory = spec.MemoryKiB,
            CpuArch = cpuArch,
            MachineImage = imageRef,
            MachineConfig = configRef,
        };
        state.State.Spec = spec;
        state.State.InitialState = initial;
        return await Accept(HostCommandKind.Create, MachineStateName.CREATING, jobLocalId, "add", force: false,
            "Creating the Machine: choosing a host.");
    }

    public Task<Machine> Get() => Task.FromResult(Public());

    public async Task<Machine> Update(Machine document)
    {
        var machine = Existing();
        CommonValidation.Check(document);
        state.State.Machine = machine with
        {
            Name = document.Name, Description = document.Description,
            // The host status is rendered, never stored: a GET-then-PUT must not freeze it.
            Properties = document.Properties?.Where(p => p.Key != HostStatusProperty).ToDictionary(p => p.Key, p => p.Value),
            Updated = DateTimeOffset.UtcNow,
        };
        try
        {
            await Save();
        }
        catch (Exception e) when (e is not CimiException)
        {
            // Not acknowledged, so not kept: the next call reloads what is durable.
            DeactivateOnIdle();
            throw;
        }
        return Public();
    }

    public async Task<MachineOperationResult> Act(MachineAction action, bool force, string jobLocalId)
    {
        var machine = Existing();
        var current = machine.State!.Value;
        if (action == MachineAction.Capture)
            throw CimiException.Invalid("A capture is requested by POSTing a MachineImage whose 'imageLocation' is the Machine's id to the machineImages collection.");
        var next = MachineTransitions.TryEnter(current, action)
            ?? throw CimiException.Conflict($"The Machine is {current}; '{MachineTransitions.UriName(action)}' is not allowed in that state.");
        if (state.State.Pending is { } pending
            && (pending.Outcome is not null || !(action == MachineAction.Stop && pending.Command == HostCommandKind.Stop)))
            throw CimiException.Conflict($"The Machine is {current} with another operation in progress; '{MachineTransitions.UriName(action)}' must wait.");

        // A Machine whose creation never reached a host is (re)created by start.
        var command = state.State.HostId is null && action is MachineAction.Start or MachineAction.Restart
            ? HostCommandKind.Create
            : Enum.Parse<HostCommandKind>(action.ToString());
        if (command == HostCommandKind.Create) state.State.InitialState = MachineStateName.STARTED;
        return await Accept(command, next, jobLocalId, CimiUris.Action(MachineTransitions.UriName(action)), force,
            $"{action} requested.");
    }

    public async Task<MachineOperationResult> Delete(string jobLocalId)
    {
        var machine = Existing();
        if (!MachineTransitions.CanDelete(machine.State!.Value))
            throw CimiException.Conflict($"The Machine is {machine.State}; 'delete' is not allowed in that state.");
        return await Accept(HostCommandKind.Delete, MachineStateName.DELETING, jobLocalId, "delete", force: true,
            "Deleting the Machine.");
    }

    public async Task OnHostReport(HostReport report)
    {
        if (state.State.Machine is null) return;
        await Heal();
        if (report.CommandId is not null)
        {
            // A command's outcome counts only for the operation in flight; anything else is a repeat
            // or comes from an older generation (a stale activation's command).
            if (state.State.Pending is { Outcome: null } pending && report.CommandId == pending.CommandId && report.Generation == state.State.Generation)
            {
                if (report.CommandSucceeded == true) await Complete(pending, report);
                else await Fail(pending, report.Message ?? "The host could not carry out the operation.", report.State);
            }
            // The host repeats a report the cluster could not store (the database was away): its outcome
            // is decided, so the operation ends now, and a failure goes back to the host to repeat again.
            else if (state.State.Pending is { Outcome: not null } decided && report.CommandId == decided.CommandId)
                await Settle(decided);
            else LogStaleReport(ResourceId, report.Generation, state.State.Generation);
            return;
        }
        // An observation (a driver's event) is the host's word about the present; while an operation is in
        // flight its own outcome decides, so observations wait for it.
        if (state.State.Pending is null && report.HostId == state.State.HostId)
            await Observe(report.State, report.Message);
    }

    public async Task<MachineCaptureResult> Capture(MachineImage image, string imageLocalId, string jobLocalId)
    {
        var machine = Existing();
        await MachineImageGrain.CheckReferencesAsync(GrainFactory, TenantId, image, "relatedImage");
        var current = machine.State!.Value;
        if (MachineTransitions.TryEnter(current, MachineAction.Capture) is null)
            throw CimiException.Conflict($"The Machine is {current}; 'capture' is not allowed in that state.");
        if (state.State.Pending is not null)
            throw CimiException.Conflict($"The Machine is {current} with another operation in progress; 'capture' must wait.");
        if (state.State.HostId is null)
            throw CimiException.Conflict("The Machine has never been placed on a host; there is nothing to capture.");
        var location = MachineImageGrain.CaptureLocation(imageLocalId, ImageLocation.Parse(state.State.Spec!.ImageLocation).Driver);
        var imageGrain = GrainFactory.GetGrain<IMachineImageGrain>(GrainKeys.Of(TenantId, imageLocalId));
        var created = await imageGrain.Create(image with
        {
            State = "CREATING",
            Type = image.Type ?? "IMAGE",
            ImageLocation = location,
            RelatedImage = image.RelatedImage ?? machine.MachineImage,
        });
        var result = await Accept(HostCommandKind.Capture, MachineStateName.CAPTURING, jobLocalId,
            CimiUris.Action(MachineTransitions.UriName(MachineAction.Capture)), force: false,
            $"Capturing the Machine into '{created.Id}'.", imageLocalId, location);
        return new MachineCaptureResult(created, result.Job);
    }

    public async Task<HostAdoption> ReconcileWithHost(string hostId, string sessionId, long generation, ObservedState observed)
    {
        if (state.State.Machine is null)
        {
            // Deleted (possibly while its host was away), or never created: the workload is an orphan.
            DeactivateOnIdle();
            return HostAdoption.Remove;
        }
        if (state.State.HostId != hostId) return HostAdoption.Remove;
        // An outcome decided but not yet told to its Job ends first: the host's word below must not
        // settle the Machine while its Job still runs.
        if (state.State.Pending is { Outcome: not null } decided)
        {
            await Settle(decided);
            if (state.State.Machine is null) return HostAdoption.Remove;
        }
        state.State.HostSession = sessionId;
        if (state.State.Pending is { Outcome: null } pending)
        {
            // The host is back, so the state is its again. An operation whose target its inventory shows
            // was done before the host went away (the answer was lost with the session): that is the
            // host's word, and it ends the operation. Otherwise the operation is sent once more: its
            // outcome may have been reported to a silo that died, and commands are idempotent (same
            // command id and generation), so the host answers with the outcome instead of acting twice.
            state.State.HostStatus = null;
            state.State.HostAwayUntil = null;
            if (pending.Submitted && ReachedOnHost(pending, generation, observed))
            {
                await Complete(pending, null);
                return HostAdoption.Keep;
            }
            if (pending.Submitted) state.State.Pending = pending with { Submitted = false };
            await Save();
            ScheduleDispatch();
            return HostAdoption.Keep;
        }
        if (observed == ObservedState.Absent)
        {
            state.State.HostStatus = $"The workload was not found on host '{hostId}' when its agent reconnected at {DateTimeOffset.UtcNow:O}.";
            await Observe(ObservedState.Absent, state.State.HostStatus, force: true);
            return HostAdoption.Keep;
        }
        state.State.HostStatus = null;
        await Observe(observed, $"adopted from host '{hostId}' (generation {generation})", force: true);
        return HostAdoption.Keep;
    }

    public async Task OnHostLost(string hostId, string sessionId, string reason)
    {
        if (state.State.Machine is null || state.State.HostId != hostId) return;
        if (state.State.HostSession is { } known && known != sessionId) return;
        state.State.HostStatus = $"Host '{hostId}' has been unreachable since {DateTimeOffset.UtcNow:O}: {reason}";
        if (state.State.Pending is { Submitted: true, Outcome: null } pending && pending.Command != HostCommandKind.Delete)
        {
            var grace = scheduling.Value.ReconnectGrace;
            if (grace <= TimeSpan.Zero)
            {
                await Fail(pending, $"Host '{hostId}' went away before confirming the operation: {reason}", ObservedState.Failed);
                return;
            }
            // Unconfirmed is not failed: the host may well have done it (an agent keeps its workloads
            // across restarts). Its inventory when it reconnects decides (ReconcileWithHost); only its
            // absence past the grace fails the operation.
            var until = DateTimeOffset.UtcNow + grace;
            state.State.HostAwayUntil = until;
            await Save();
            await Progress(pending, $"Host '{hostId}' went away before confirming the operation ({reason}); waiting up to {grace.TotalSeconds:0} s for it to reconnect.");
            ScheduleHostAwayCheck(until);
            return;
        }
        if (state.State.Pending is null) await Observe(ObservedState.Failed, state.State.HostStatus, force: true);
        else await Save();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (state.State.Pending is not { } pending)
        {
            await StopReminder();
            return;
        }
        if (pending.Outcome is not null) await Settle(pending);
        else if (!pending.Submitted) await Dispatch();
        else if (state.State.HostAwayUntil is not null) await CheckHostAway();
        else if (DateTimeOffset.UtcNow - pending.Accepted > OperationTimeout)
            await Fail(pending, $"The host did not confirm the operation within {OperationTimeout.TotalMinutes:0} minutes.", null);
    }

    private async Task<MachineOperationResult> Accept(
        HostCommandKind command, MachineStateName transitional, string jobLocalId, string action, bool force, string message,
        string? captureImageLocalId = null, string? captureImageLocation = null)
    {
        // A delete (or a forced stop) may take over from an operation still in flight. Its Job ends
        // first, so no Job is ever left open, and the state to fall back to is the one before it.
        var superseded = state.State.Pending;
        if (superseded is not null)
        {
            await EndCapture(superseded);
            await Job(superseded.JobLocalId).Finish(superseded.Outcome?.Succeeded ?? false,
                superseded.Outcome?.Message ?? $"Taken over by '{action}' before the host confirmed it.");
        }
        var before = superseded?.Before ?? state.State.Machine!.State!.Value;
        try
        {
            return await AcceptDurably(command, transitional, jobLocalId, action, force, message, before,
                captureImageLocalId, captureImageLocation);
        }
        catch (Exception e) when (e is not CimiException)
        {
            // The request fails (503 while the database is away); memory may hold an operation that storage
            // does not, so this activation goes and the next call reloads what is durable.
            DeactivateOnIdle();
            throw;
        }
    }

    private async Task<MachineOperationResult> AcceptDurably(
        HostCommandKind command, MachineStateName transitional, string jobLocalId, string action, bool force, string message,
        MachineStateName before, string? captureImageLocalId, string? captureImageLocation)
    {
        // The reminder is what brings a pending operation back after a crash, so it is durable before the
        // operation is: a crash after this line leaves either nothing pending (the reminder then removes
        // itself) or a pending operation that the reminder finishes. The timer is the fast path here.
        await this.RegisterOrUpdateReminder(PendingReminder, RecoveryDelay, RecoveryDelay);
        state.State.Generation++;
        state.State.HostAwayUntil = null;
        state.State.Pending = new PendingOperation(jobLocalId, command, Guid.NewGuid().ToString("N"), before,
            Submitted: false, DateTimeOffset.UtcNow, force, captureImageLocalId, captureImageLocation);
        state.State.Machine = state.State.Machine! with { State = transitional };
        await Save();
        var job = await Job(jobLocalId).Begin(action, Self, [Self], message);
        ScheduleDispatch();
        return new MachineOperationResult(Public(), job);
    }

    private void ScheduleDispatch() =>
        this.RegisterGrainTimer(_ => Persist(Dispatch), new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));

    /// <summary>
    /// Runs a step that must happen (sending the command, ending the operation) and, when it fails (the
    /// database or another grain's silo is away), runs it again in a second, backing off to
    /// <see cref="MaxRetryDelay"/>, instead of leaving it to the minute-long reminder: the Job finishes
    /// within seconds of the database coming back.
    /// </summary>
    private async Task Persist(Func<Task> step, bool retry = false)
    {
        try
        {
            if (retry) await Heal();
            await step();
            _retryDelay = TimeSpan.Zero;
        }
        catch (Exception e) when (e is not CimiException)
        {
            _retryDelay = _retryDelay == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, _retryDelay.Ticks * 2));
            // A database outage is logged once, by the gateway's tracker (it drops this entry).
            LogStepRetried(ResourceId, _retryDelay.TotalSeconds, e);
            this.RegisterGrainTimer(_ => Persist(step, retry: true), new GrainTimerCreationOptions(_retryDelay, Timeout.InfiniteTimeSpan));
        }
    }

    /// <summary>Sends the pending operation to the host, choosing one first for a create.</summary>
    private async Task Dispatch()
    {
        if (state.State.Pending is not { Submitted: false, Outcome: null } pending) return;
        if (pending.Command == HostCommandKind.Delete && state.State.HostId is null)
        {
            await Complete(pending, null);
            return;
        }
        if (pending.Command == HostCommandKind.Create
            && await ImageLocations.RefusalAsync(GrainFactory, publicImages.Value, TenantId, state.State.Spec!.ImageLocation, null) is { } refusal)
        {
            // Checked again at every (re)creation, so a Machine accepted before the rule, or whose
            // capture was released meanwhile, is never booted from an image the tenant may not name.
            await Fail(pending, refusal, null);
            return;
        }
        if (pending.Command == HostCommandKind.Create && state.State.HostId is null)
        {
            var spec = state.State.Spec!;
            Placement placement;
            try
            {
                placement = await GrainFactory.GetGrain<IHostSchedulerGrain>(0)
                    .Place(new PlacementRequest(this.GetPrimaryKeyString(), spec.Cpu, spec.MemoryKiB, ImageLocation.Parse(spec.ImageLocation).Driver, spec.DiskKiB));
            }
            catch (Exception e) when (IsSiloLoss(e))
            {
                await WaitForHost(pending, $"the host scheduler is moving to another silo ({e.GetType().Name}).", HostRetryInterval);
                return;
            }
            if (placement.HostId is null && placement.RetryAfter is { } wait)
            {
                // The scheduler has just (re)started, or a host that would fit is reconnecting.
                await WaitForHost(pending, placement.Reason, wait);
                return;
            }
            if (placement.HostId is null)
            {
                await Fail(pending, $"No host is available: {placement.Reason}", null);
                return;
            }
            state.State.HostId = placement.HostId;
            state.State.Machine = state.State.Machine! with { Host = placement.HostId };
        }
        if (state.State.HostId is null)
        {
            await Fail(pending, "The Machine has not been placed on a host.", null);
            return;
        }
        var host = GrainFactory.GetGrain<IHostGrain>(state.State.HostId);
        try
        {
            await host.Submit(new HostCommand(
                pending.CommandId, this.GetPrimaryKeyString(), state.State.Generation, pending.Command,
                state.State.Spec! with { StartAfterCreate = state.State.InitialState == MachineStateName.STARTED },
                pending.Force, pending.CaptureImageLocation));
        }
        catch (CimiException e) when (e.Kind == CimiErrorKind.Unavailable)
        {
            if (pending.Command == HostCommandKind.Delete)
            {
                // The Machine goes now; its workload is an orphan that reconciliation removes when the
                // agent reconnects (the Machine grain then answers Remove for it).
                await host.Forget(this.GetPrimaryKeyString());
                await Complete(pending, null,
                    $"The Machine was deleted; host '{state.State.HostId}' is away, so its workload is removed when the host's agent reconnects.");
                return;
            }
            if (await HostReconnectingUntil(host) is { } until)
            {
                // Its agent is restarting or moving to another silo: the operation waits for it.
                var left = until - DateTimeOffset.UtcNow;
                await WaitForHost(pending, $"host '{state.State.HostId}' is reconnecting.", left < HostRetryInterval ? left : HostRetryInterval);
                return;
            }
            await Fail(pending, $"Host '{state.State.HostId}' is not reachable: {e.Message}", null);
            return;
        }
        catch (Exception e) when (IsSiloLoss(e))
        {
            // The host grain's silo died and is not declared dead yet; the grain reactivates on a live silo
            // then. Sending again is safe: the command keeps its id and generation.
            await WaitForHost(pending, $"host '{state.State.HostId}' is moving to another silo ({e.GetType().Name}).", HostRetryInterval);
            return;
        }
        _waitingForHost = false;
        state.State.Pending = pending with { Submitted = true };
        await Save();
        await Job(pending.JobLocalId).Progress(30, $"Sent to host '{state.State.HostId}'.");
    }

    /// <summary>
    /// Asks again after <paramref name="retryAfter"/>; the Job says what it waits for (once per
    /// activation). Bounded: an operation no host took within <see cref="OperationTimeout"/> fails.
    /// </summary>
    private async Task WaitForHost(PendingOperation pending, string? reason, TimeSpan retryAfter)
    {
        if (DateTimeOffset.UtcNow - pending.Accepted > OperationTimeout)
        {
            await Fail(pending, $"No host took the operation within {OperationTimeout.TotalMinutes:0} minutes: {reason}", null);
            return;
        }
        if (!_waitingForHost) await Progress(pending, $"Waiting for a host: {reason}");
        _waitingForHost = true;
        if (retryAfter < TimeSpan.Zero) retryAfter = TimeSpan.Zero;
        this.RegisterGrainTimer(_ => Persist(Dispatch), new GrainTimerCreationOptions(retryAfter, Timeout.InfiniteTimeSpan));
    }

    /// <summary>Until when the host's agent is expected back, or null if it is not (or no longer).</summary>
    private static async Task<DateTimeOffset?> HostReconnectingUntil(IHostGrain host)
    {
        try
        {
            var info = await host.GetInfo();
            return info.IsReconnecting(DateTimeOffset.UtcNow) ? info.ReconnectingUntil : null;
        }
        catch (Exception e) when (IsSiloLoss(e))
        {
            return DateTimeOffset.UtcNow + HostRetryInterval;
        }
    }

    /// <summary>Whether the Machine's host has an agent session now (false when that cannot be learnt).</summary>
    private async Task<bool> HostConnected()
    {
        if (state.State.HostId is not { } hostId) return false;
        try
        {
            return (await GrainFactory.GetGrain<IHostGrain>(hostId).GetInfo()).Connected;
        }
        catch (Exception e) when (IsSiloLoss(e))
        {
            return false;
        }
    }

    /// <summary>A call that failed because the silo of its target died (and is not yet declared dead).</summary>
    private static bool IsSiloLoss(Exception e) =>
        e is Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException or TimeoutException;

    /// <summary>Tells the Job how the operation stands; best effort (the outcome, not progress, is what must be durable).</summary>
    private async Task Progress(PendingOperation pending, string message)
    {
        try
        {
            await Job(pending.JobLocalId).Progress(pending.Submitted ? 30 : 10, message);
        }
        catch (Exception e) when (IsSiloLoss(e))
        {
            LogProgressLost(ResourceId, e.GetType().Name);
        }
    }

    private void ScheduleHostAwayCheck(DateTimeOffset until)
    {
        var left = until - DateTimeOffset.UtcNow;
        this.RegisterGrainTimer(_ => CheckHostAway(),
            new GrainTimerCreationOptions(left > TimeSpan.Zero ? left : TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    /// <summary>The host went away with the operation unconfirmed and has not come back in time: it fails.</summary>
    private async Task CheckHostAway()
    {
        if (state.State.Pending is not { Submitted: true, Outcome: null } pending || state.State.HostAwayUntil is not { } until) return;
        var now = DateTimeOffset.UtcNow;
        if (until > now)
        {
            ScheduleHostAwayCheck(until);
            return;
        }
        if (now - pending.Accepted < OperationTimeout && await HostConnected())
        {
            // The agent is back and its inventory is being reconciled (a slow host lists many workloads):
            // that, not the clock, decides. The operation timeout still bounds the wait.
            state.State.HostAwayUntil = now + HostRetryInterval * 5;
            await state.WriteStateAsync();
            ScheduleHostAwayCheck(state.State.HostAwayUntil.Value);
            return;
        }
        await Fail(pending,
            $"Host '{state.State.HostId}' went away before confirming the operation and did not reconnect within " +
            $"{scheduling.Value.ReconnectGrace.TotalSeconds:0} s. {state.State.HostStatus}", ObservedState.Failed);
    }

    /// <summary>
    /// Whether the host's inventory shows the pending operation done: the workload is in the state the
    /// operation settles in (a create's, from this very generation). A restart or a capture leaves no
    /// trace in the state, so those are always asked again.
    /// </summary>
    private bool ReachedOnHost(PendingOperation pending, long generation, ObservedState observed)
    {
        if (observed is ObservedState.Absent or ObservedState.Failed) return false;
        MachineStateName target;
        switch (pending.Command)
        {
            case HostCommandKind.Create when generation == state.State.Generation:
                target = state.State.InitialState;
                break;
            case HostCommandKind.Start or HostCommandKind.Stop or HostCommandKind.Pause or HostCommandKind.Suspend:
                target = MachineTransitions.Settled(state.State.Machine!.State!.Value, pending.Before);
                break;
            default:
                return false;
        }
        return FromObserved(observed, target) == target;
    }

    private Task Complete(PendingOperation pending, HostReport? report, string? message = null)
    {
        if (pending.Command == HostCommandKind.Delete)
            return Settle(pending with { Outcome = new(true, message ?? "The Machine was deleted.", MachineStateName.DELETING, ForgetOnHost: report is not null) });
        var settled = pending.Command == HostCommandKind.Create
            ? state.State.InitialState
            : MachineTransitions.Settled(state.State.Machine!.State!.Value, pending.Before);
        return Settle(pending with
        {
            Outcome = new(true, report?.Message ?? $"The Machine is {settled}.", settled,
                ImageLocation: report?.ResultImageLocation ?? pending.CaptureImageLocation),
        });
    }

    /// <summary>
    /// The MachineImage a capture was writing to, moved on as the operation ended: AVAILABLE when it
    /// succeeded, ERROR when it failed or was taken over. Null when the operation was no capture.
    /// </summary>
    private Task<MachineImage?> EndCapture(PendingOperation ended) =>
        ended.CaptureImageLocalId is not { } imageLocalId
            ? Task.FromResult<MachineImage?>(null)
            : ended.Outcome is { Succeeded: true } done
                ? SetCaptureImage(imageLocalId, "AVAILABLE", done.ImageLocation)
                : SetCaptureImage(imageLocalId, "ERROR", null);

    /// <summary>Moves a captured MachineImage on (it may have been deleted meanwhile: then nothing).</summary>
    private async Task<MachineImage?> SetCaptureImage(string imageLocalId, string imageState, string? location)
    {
        var grain = GrainFactory.GetGrain<IMachineImageGrain>(GrainKeys.Of(TenantId, imageLocalId));
        if (await grain.GetInternal() is not { } image) return null;
        return await grain.Update(image with { State = imageState, ImageLocation = location ?? image.ImageLocation });
    }

    private Task Fail(PendingOperation pending, string message, ObservedState? observed)
    {
        var fallback = pending.Command switch
        {
            HostCommandKind.Create => MachineStateName.ERROR,
            HostCommandKind.Delete => pending.Before,
            _ => observed is { } o ? FromObserved(o, pending.Before) : pending.Before,
        };
        LogOperationFailed(ResourceId, pending.Command, message);
        return Settle(pending with { Outcome = new(false, message, fallback) });
    }

    /// <summary>Resumes an operation whose outcome was written before a crash (the reminder may have done it first).</summary>
    private void ScheduleSettle() =>
        this.RegisterGrainTimer(_ => Persist(() => state.State.Pending is { Outcome: not null } decided ? Settle(decided) : Task.CompletedTask),
            new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));

    /// <summary>
    /// Ends an operation whose <see cref="PendingOperation.Outcome"/> is decided. The outcome is durable
    /// first (the Machine still shows its transitional state, so the recovery at silo start finds it);
    /// then the captured image and the Job are told (both ignore a repeat: a finished Job never
    /// changes); then the Machine settles, or goes for a delete. Resumed from the start after a crash.
    /// </summary>
    private async Task Settle(PendingOperation decided)
    {
        var outcome = decided.Outcome!;
        if (state.State.Pending != decided || _unsaved)
        {
            state.State.Pending = decided;
            await Write();
        }
        var image = await EndCapture(decided);
        IReadOnlyList<ResourceRef>? affected = outcome.Succeeded && image?.Id is { } imageId ? [Self, new ResourceRef(imageId)] : null;
        if (decided.Command == HostCommandKind.Delete && outcome.Succeeded)
        {
            if (outcome.ForgetOnHost && state.State.HostId is { } hostId)
                await GrainFactory.GetGrain<IHostGrain>(hostId).Forget(this.GetPrimaryKeyString());
            await Job(decided.JobLocalId).Finish(true, outcome.Message);
            await state.ClearStateAsync();
            await readModel.DeleteAsync(TenantId, ResourceKind.Machine, ResourceId);
            await StopReminder();
            DeactivateOnIdle();
            return;
        }
        await Job(decided.JobLocalId).Finish(outcome.Succeeded, outcome.Message, affected);
        state.State.Pending = null;
        state.State.HostAwayUntil = null;
        state.State.Machine = state.State.Machine! with { State = outcome.Settled };
        if (outcome.Succeeded) state.State.HostStatus = null;
        await Save();
        await StopReminder();
    }

    /// <summary>Takes the host's word for the state. <paramref name="force"/> saves even when the state
    /// is unchanged (the host status changed with it).</summary>
    private async Task Observe(ObservedState observed, string? message, bool force = false)
    {
        var current = state.State.Machine!.State!.Value;
        var seen = FromObserved(observed, current);
        if (observed is not (ObservedState.Absent or ObservedState.Failed)) state.State.HostStatus = null;
        else if (state.State.HostStatus is null)
            state.State.HostStatus = message ?? $"The host reported the workload as {observed}.";
        if (current == seen && !force && observed is not (ObservedState.Absent or ObservedState.Failed)) return;
        if (current != seen) LogObservedChange(ResourceId, current, seen, message);
        state.State.Machine = state.State.Machine with { State = seen };
        await Save();
    }

    /// <summary>
    /// The CIMI state for what the host sees. The docker driver has no suspend (no checkpoint/restore here),
    /// so a suspended Machine is a stopped container: seen stopped, a SUSPENDED Machine stays SUSPENDED.
    /// </summary>
    private static MachineStateName FromObserved(ObservedState observed, MachineStateName current) => observed switch
    {
        ObservedState.Running => MachineStateName.STARTED,
        ObservedState.Paused => MachineStateName.PAUSED,
        ObservedState.Stopped or ObservedState.Created when current == MachineStateName.SUSPENDED => MachineStateName.SUSPENDED,
        ObservedState.Stopped or ObservedState.Created => MachineStateName.STOPPED,
        _ => MachineStateName.ERROR,
    };

    private async Task<(MachineSpec Spec, MachineStateName Initial, ResourceRef? Config, ResourceRef? Image, string? CpuArch)> ResolveAsync(
        MachineTemplate given)
    {
        var template = await References.ResolveOrValueAsync<IMachineTemplateGrain, MachineTemplate>(
            GrainFactory, TenantId, ResourceKind.MachineTemplate, "machineTemplate", given, MachineTemplateGrain.Merge);
        await MachineTemplateGrain.CheckAsync(GrainFactory, TenantId, template! with { Href = null });

        var config = await References.ResolveOrValueAsync<IMachineConfigurationGrain, MachineConfiguration>(
            GrainFactory, TenantId, ResourceKind.MachineConfiguration, "machineTemplate.machineConfig", template!.MachineConfig,
            MachineConfigurationGrain.Merge)
            ?? throw CimiException.Invalid("The machine template has no 'machineConfig'.");
        MachineConfigurationGrain.Check(config, requireAll: true);
        var image = await References.ResolveOrValueAsync<IMachineImageGrain, MachineImage>(
            GrainFactory, TenantId, ResourceKind.MachineImage, "machineTemplate.machineImage", template.MachineImage,
            MachineImageGrain.Merge)
            ?? throw CimiException.Invalid("The machine template has no 'machineImage'.");
        MachineImageGrain.Check(image, requireAll: true);
        // The image as resolved (a reference, a value, or a reference with an overriding location) must
        // be one this tenant may boot, whatever was accepted when the MachineImage was stored.
        await ImageLocations.CheckAsync(GrainFactory, publicImages.Value, TenantId, image.ImageLocation!, ownImageLocalId: null);
        if (image.State is "CREATING" or "ERROR" or "DELETING")
            throw CimiException.Invalid($"MachineImage '{template.MachineImage!.Href}' is {image.State}, not AVAILABLE.");
        var credential = await References.ResolveOrValueAsync<ICredentialGrain, Credential>(
            GrainFactory, TenantId, ResourceKind.Credential, "machineTemplate.credential", template.Credential,
            (r, o) => r with { UserName = o.UserName ?? r.UserName, Password = o.Password ?? r.Password, Key = o.Key ?? r.Key });

        var initial = template.InitialState is { } s ? Enum.Parse<MachineStateName>(s) : MachineStateName.STARTED;
        var spec = new MachineSpec(image.ImageLocation!, config.Cpu!.Value, config.Memory!.Value,
            credential?.UserName, credential?.Password, credential?.Key, template.UserData, TenantId, StartAfterCreate: true,
            DiskKiB: config.Disks?.Sum(d => d.Capacity ?? 0) ?? 0);
        ResourceRef? Ref(CimiResource? r) => r?.Href is { } h ? new ResourceRef(h) : null;
        return (spec, initial, Ref(template.MachineConfig), Ref(template.MachineImage), config.CpuArch);
    }

    private Machine Existing() => state.State.Machine ?? throw CimiException.NotFound($"Machine '{ResourceId}'");

    private Machine Public()
    {
        var machine = Existing();
        var current = machine.State!.Value;
        var operations = new List<Operation> { new("edit", ResourceId) };
        if (MachineTransitions.CanDelete(current)) operations.Add(new("delete", ResourceId));
        if (state.State.Pending is null || current == MachineStateName.STOPPING)
        {
            foreach (var action in MachineTransitions.Allowed(current))
            {
                // Capture is done by POSTing a MachineImage to the machineImages collection.
                var href = action == MachineAction.Capture ? ResourceKind.MachineImage.CollectionSegment : ResourceId;
                operations.Add(new(CimiUris.Action(MachineTransitions.UriName(action)), href));
            }
        }
        if (state.State.HostStatus is { } hostStatus)
        {
            var properties = new Dictionary<string, string>(machine.Properties ?? new Dictionary<string, string>())
            {
                [HostStatusProperty] = hostStatus,
            };
            machine = machine with { Properties = properties };
        }
        return machine with { Operations = operations };
    }

    private IJobGrain Job(string jobLocalId) => GrainFactory.GetGrain<IJobGrain>(GrainKeys.Of(TenantId, jobLocalId));

    private async Task Save()
    {
        _unsaved = true;
        await state.WriteStateAsync();
        await Project();
        _unsaved = false;
    }

    /// <summary>The state alone (an outcome before it is told to its Job); Settle ends with a full Save.</summary>
    private async Task Write()
    {
        _unsaved = true;
        await state.WriteStateAsync();
        _unsaved = false;
    }

    /// <summary>Stores what an earlier failed write left in memory only, before the next step builds on it.</summary>
    private Task Heal() => _unsaved ? Save() : Task.CompletedTask;

    private Task Project() => readModel.UpsertAsync(TenantId, ResourceKind.Machine, Public(), state.State.Machine!.State.ToString());

    private async Task StopReminder()
    {
        if (await this.GetReminder(PendingReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored a stale host report for {MachineId}: generation {ReportGeneration} < {Generation}")]
    private partial void LogStaleReport(string machineId, long reportGeneration, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Machine {MachineId}: a step of its operation failed; retrying in {Seconds} s")]
    private partial void LogStepRetried(string machineId, double seconds, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Machine {MachineId}: {Command} failed: {Reason}")]
    private partial void LogOperationFailed(string machineId, HostCommandKind command, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Machine {MachineId}: a progress message to its Job was lost ({Error})")]
    private partial void LogProgressLost(string machineId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Machine {MachineId} changed on its host from {From} to {To}: {Detail}")]
    private partial void LogObservedChange(string machineId, MachineStateName? from, MachineStateName to, string? detail);
}
