using CimiGrains.Hosts;
using CimiGrains.Machines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Hosts;

/// <summary>
/// One host. It holds the observer of the agent's current session (on whichever silo the agent is
/// connected to) and the Machines placed here, and keeps the scheduler's view of the host current.
/// It calls Machines only one-way, so a Machine waiting on <see cref="Submit"/> can never deadlock with it.
/// </summary>
public sealed partial class HostGrain(
    [PersistentState("host", "cimi")] IPersistentState<HostGrainState> state,
    IOptions<HostSchedulingOptions> scheduling,
    ILogger<HostGrain> logger) : Grain, IHostGrain, ISecretHolderGrain
{
    /// <summary>How often the session is pinged and the scheduler refreshed (it keeps soft state only).</summary>
    public static readonly TimeSpan HeartbeatPeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The longest this grain waits on its agent's observer. A live session answers at once (it only
    /// queues onto the stream); one whose object is gone (its stream ended and the reference was deleted,
    /// or its silo died) never answers, and without a bound every caller queued behind that call would
    /// wait the whole response timeout and fail too, a consumer's DELETE among them.
    /// </summary>
    public static readonly TimeSpan AgentCallTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Console reads one host carries at once: each answer may be a MiB, and a consumer polling
    /// many consoles must not fill the silo's memory or the agent's stream.</summary>
    public const int MaxConsoleReads = 16;

    private IAgentObserver? _agent;
    private string? _sessionId;

    /// <summary>Console reads waiting for the agent's answer, by request id, with the session asked.</summary>
    private readonly Dictionary<string, (string Session, TaskCompletionSource<ConsoleOutput> Answer)> _consoleReads = new(StringComparer.Ordinal);

    /// <summary>
    /// A write failed (the database was away), so this activation's state is ahead of storage: the next
    /// call writes even if it changes nothing itself. Without it, a repeated Forget or Submit would find
    /// its change already made in memory and skip the write that never happened.
    /// </summary>
    private bool _unsaved;

    /// <summary>Until when the host's agent is expected back (its session dropped, or this grain moved
    /// without one); null while connected, or when nothing says the agent is coming back.</summary>
    private DateTimeOffset? _reconnectingUntil;

    /// <summary>The session this activation dropped last: it must reconnect (and reconcile), not renew.</summary>
    private string? _lostSession;

    private string HostId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The heartbeat keeps the grain active: its activation holds the agent's session, which only a
        // reconnection could give back, so it must never be collected as idle.
        // Interleaving: while the ping waits on a session that may be dead, calls (submits, removals,
        // disconnects) go on; the heartbeat drops only the session it pinged.
        this.RegisterGrainTimer(Heartbeat, new GrainTimerCreationOptions(HeartbeatPeriod, HeartbeatPeriod) { Interleave = true, KeepAlive = true });
        // A known host's grain activating without a session has moved (its silo died) or restarted with the
        // cluster: the agent's session was lost with the old activation and the agent is reconnecting.
        if (state.State.Registration is not null) _reconnectingUntil = DateTimeOffset.UtcNow + scheduling.Value.ReconnectGrace;
        return Task.CompletedTask;
    }

    public async Task Submit(HostCommand command)
    {
        if (_agent is null)
            throw new CimiException(CimiErrorKind.Unavailable, $"no agent is connected for host '{HostId}'.");
        if (command.Kind == HostCommandKind.Capture && command.CaptureImageLocation is { } capture)
        {
            // Before the agent can act: the image's MachineImage deletion must find this host.
            await GrainFactory.GetGrain<ICapturedImageGrain>(capture).HeldBy(HostId, GrainKeys.Split(command.ResourceKey).TenantId);
        }
        // A create takes its share of the host (a Machine's CPU and memory, a Volume's room in the pool) durably. The
        // share is written while the command travels, not before it: the create's answer waits for both, and a share
        // lost with this grain's silo is taken again, since the resource sends its unanswered command once more when
        // this call fails (or when it is itself activated again).
        var shareTaken = false;
        if (command.Kind == HostCommandKind.Create && command.Spec is { } spec)
            shareTaken |= state.State.Machines.TryAdd(command.ResourceKey, new MachineShare(spec.Cpu, spec.MemoryKiB, spec.DiskKiB));
        if (command is { Kind: HostCommandKind.Create, Resource: HostedKind.Volume, Volume: { } volume })
            shareTaken |= state.State.Volumes.TryAdd(command.ResourceKey, volume.CapacityKiB);
        var shareWritten = shareTaken || (_unsaved && command.Kind == HostCommandKind.Create) ? WriteShares() : Task.CompletedTask;
        try
        {
            await _agent.Deliver(command).WaitAsync(AgentCallTimeout);
        }
        catch (Exception e) when (e is not CimiException)
        {
            await shareWritten.ContinueWith(_ => { }, TaskScheduler.Current);
            await LoseSession($"the agent's session did not accept a command: {e.Message}");
            throw new CimiException(CimiErrorKind.Unavailable, $"the agent of host '{HostId}' is not reachable.");
        }
        await shareWritten;
    }

    private async Task WriteShares()
    {
        await Write();
        await ReportToScheduler();
    }

    public async Task<IReadOnlyList<string>> Connect(HostRegistration registration, string sessionId, IAgentObserver agent)
    {
        if (registration.HostId != HostId)
            throw CimiException.Invalid($"A session for host '{registration.HostId}' cannot register host '{HostId}'.");
        foreach (var (name, ratio) in new[] { ("CPU", registration.CpuAllocationRatio), ("memory", registration.MemoryAllocationRatio) })
            if (ratio is { } r && !AllocationRatio.IsValid(r))
                throw CimiException.Invalid($"Host '{HostId}' asks for a {name} allocation ratio of {r}: a ratio must be above 0 and at most {AllocationRatio.Max}.");
        _agent = agent;
        _sessionId = sessionId;
        _reconnectingUntil = null;
        state.State.Registration = registration;
        state.State.LastConnected = DateTimeOffset.UtcNow;
        await Write();
        await ReportToScheduler();
        LogConnected(HostId, sessionId, registration.Cpu, registration.MemoryKiB);
        return [.. state.State.Machines.Keys];
    }

    public Task<PlacedResources> GetPlaced() =>
        Task.FromResult(new PlacedResources([.. state.State.Machines.Keys], [.. state.State.Volumes.Keys]));

    public async Task<bool> Renew(HostRegistration registration, string sessionId, IAgentObserver agent)
    {
        if (sessionId == _sessionId) return true;
        if (_sessionId is not null || sessionId == _lostSession || registration.HostId != HostId) return false;
        // This activation began after the session did (its predecessor died with its silo). The session's
        // observer and stream are intact and nothing was reported lost, so the session simply continues.
        _agent = agent;
        _sessionId = sessionId;
        _reconnectingUntil = null;
        if (state.State.Registration is null)
        {
            state.State.Registration = registration;
            await Write();
        }
        await ReportToScheduler();
        LogResumed(HostId, sessionId);
        return true;
    }

    public async Task Disconnect(string sessionId, string reason)
    {
        if (sessionId != _sessionId) return;
        await LoseSession(reason);
    }

    public async Task Forget(string machineKey)
    {
        // The key names a Machine or a Volume: both get generated local ids, so one key is never both.
        if (!(state.State.Machines.Remove(machineKey) | state.State.Volumes.Remove(machineKey)) && !_unsaved) return;
        await Write();
        await ReportToScheduler();
    }

    public Task<HostInfo> GetInfo() => Task.FromResult(Info());

    public async Task RemoveImage(string imageLocation)
    {
        if (state.State.ImagesToRemove.Add(imageLocation) || _unsaved) await Write();
        // Recorded durably above; the send is best effort and repeated at the agent's next session, so
        // the caller (a consumer deleting a MachineImage) never waits on the agent.
        if (_agent is { } agent) _ = SendImageRemoval(agent, imageLocation);
    }

    public async Task OnImageStatus(HostImageStatus status)
    {
        switch (status.State)
        {
            case HostImageState.Removed:
                if (state.State.ImagesToRemove.Remove(status.ImageLocation) || _unsaved) await Write();
                LogImageRemoved(HostId, status.ImageLocation);
                break;
            case HostImageState.InUse:
                LogImageKept(HostId, status.ImageLocation, string.Join(", ", status.UsedBy));
                break;
            default:
                LogImageRemovalFailed(HostId, status.ImageLocation, status.Message);
                break;
        }
    }

    public async Task Reconciled(string sessionId)
    {
        if (sessionId != _sessionId || _agent is not { } agent) return;
        foreach (var image in state.State.ImagesToRemove.ToList()) await SendImageRemoval(agent, image);
        // Always, even empty: an agent that still serves exports the cluster dropped while it was away stops them.
        await SendExportsAsync(agent, [.. state.State.Exports.Values.OrderBy(e => e.VolumeKey, StringComparer.Ordinal)]);
        // The Networks this host should have, now that the agent knows which workloads it keeps.
        await SendNetworksAsync(agent);
    }

    public async Task<string> ReadConsole(string machineKey, int maxBytes)
    {
        if (_agent is not { } agent || _sessionId is not { } session)
            throw new CimiException(CimiErrorKind.Unavailable, $"the agent of host '{HostId}' is not connected; the console can be read once it reconnects.");
        if (_consoleReads.Count >= MaxConsoleReads)
            throw new CimiException(CimiErrorKind.Unavailable, $"host '{HostId}' is answering {MaxConsoleReads} console reads already; retry shortly.");
        var requestId = Guid.NewGuid().ToString("N");
        var answer = new TaskCompletionSource<ConsoleOutput>(TaskCreationOptions.RunContinuationsAsynchronously);
        _consoleReads[requestId] = (session, answer);
        ConsoleOutput output;
        try
        {
            try
            {
                await agent.RequestConsole(requestId, HostedKind.Machine, machineKey, maxBytes).WaitAsync(AgentCallTimeout);
            }
            catch (Exception e)
            {
                // The heartbeat drops a session whose reference no longer answers; this read just says so.
                throw new CimiException(CimiErrorKind.Unavailable, $"the agent session of host '{HostId}' did not take the console request ({e.GetType().Name}).");
            }
            // The agent answers at once when it is alive; one that predates consoles never does.
            output = await answer.Task.WaitAsync(MachineConsole.AnswerTimeout);
        }
        catch (TimeoutException)
        {
            throw new CimiException(CimiErrorKind.Unavailable,
                $"the agent of host '{HostId}' did not answer the console request within {MachineConsole.AnswerTimeout.TotalSeconds:0} s " +
                "(an agent older than the console extension never does).");
        }
        finally
        {
            _consoleReads.Remove(requestId);
        }
        if (output.Text is null)
            throw CimiException.Conflict($"Host '{HostId}' has no console for the Machine: {output.Error ?? "no reason given"}");
        return output.Text;
    }

    public Task OnConsoleTail(string sessionId, string requestId, ConsoleOutput output)
    {
        // Only the session the request went to may answer it.
        if (_consoleReads.TryGetValue(requestId, out var read) && read.Session == sessionId) read.Answer.TrySetResult(output);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> GetImagesToRemove() =>
        Task.FromResult<IReadOnlyList<string>>([.. state.State.ImagesToRemove.Order(StringComparer.Ordinal)]);

    /// <summary>Best effort: a request that does not reach the agent now is repeated at its next session.</summary>
    private async Task SendImageRemoval(IAgentObserver agent, string imageLocation)
    {
        try
        {
            await agent.RemoveImage(imageLocation).WaitAsync(AgentCallTimeout);
        }
        catch (Exception e)
        {
            LogImageRemovalFailed(HostId, imageLocation, $"the agent's session did not accept it: {e.Message}");
        }
    }

    private async Task Heartbeat(CancellationToken cancellationToken)
    {
        if (_agent is { } agent && _sessionId is { } pinged)
        {
            try
            {
                await agent.Ping().WaitAsync(AgentCallTimeout, cancellationToken);
            }
            catch (Exception e)
            {
                // The session's silo died without telling us (a crash): nobody else will. Calls interleave
                // with this one, so a newer session may have connected meanwhile: only the pinged one goes.
                if (_sessionId == pinged) await LoseSession($"the agent's session stopped answering: {e.GetType().Name}");
                return;
            }
        }
        if (state.State.Registration is not null) await ReportToScheduler();
    }

    private async Task LoseSession(string reason)
    {
        var session = _sessionId;
        if (session is null) return;
        _agent = null;
        _sessionId = null;
        _lostSession = session;
        // Reads waiting on the lost session would wait out their bound for an answer that cannot come.
        foreach (var read in _consoleReads.Values.Where(r => r.Session == session))
            read.Answer.TrySetException(new CimiException(CimiErrorKind.Unavailable, $"the agent session of host '{HostId}' ended before it answered: {reason}"));
        // An agent that restarts, or moves to another silo, is back within seconds: until the grace is
        // over, creates that only this host can take and operations it had not confirmed wait for it.
        _reconnectingUntil = DateTimeOffset.UtcNow + scheduling.Value.ReconnectGrace;
        LogDisconnected(HostId, session, reason);
        await ReportToScheduler();
        foreach (var machineKey in state.State.Machines.Keys)
            _ = GrainFactory.GetGrain<IHostedMachineGrain>(machineKey).OnHostLost(HostId, session, reason);
        foreach (var volumeKey in state.State.Volumes.Keys)
            _ = GrainFactory.GetGrain<CimiGrains.Volumes.IVolumeGrain>(volumeKey).OnHostLost(HostId, session, reason);
    }

    /// <summary>The state written again as it is (its export PSKs sealed under the current key).</summary>
    public async Task<bool> Reseal()
    {
        if (!state.RecordExists) return false;
        await Write();
        return true;
    }

    private async Task Write()
    {
        _unsaved = true;
        await state.WriteStateAsync();
        _unsaved = false;
    }

    private HostInfo Info()
    {
        var r = state.State.Registration;
        return new HostInfo(HostId, _agent is not null, r?.Cpu ?? 0, r?.MemoryKiB ?? 0, r?.Drivers ?? [],
            r?.Labels ?? new Dictionary<string, string>(), new Dictionary<string, MachineShare>(state.State.Machines),
            _agent is null ? _reconnectingUntil : null, r?.DiskKiB ?? 0, r?.CpuAllocationRatio, r?.MemoryAllocationRatio, r?.AgentVersion,
            r?.VolumePoolKiB ?? 0, new Dictionary<string, long>(state.State.Volumes));
    }

    private Task ReportToScheduler() => GrainFactory.GetGrain<IHostSchedulerGrain>(0).UpdateHost(Info());

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId}: agent session {SessionId} connected ({Cpu} CPU, {MemoryKiB} KiB)")]
    private partial void LogConnected(string hostId, string sessionId, int cpu, long memoryKiB);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId}: agent session {SessionId} resumed by a new activation of the host")]
    private partial void LogResumed(string hostId, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId}: removed the image {ImageLocation}")]
    private partial void LogImageRemoved(string hostId, string imageLocation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId}: keeps the image {ImageLocation} while {UsedBy} use it")]
    private partial void LogImageKept(string hostId, string imageLocation, string usedBy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId}: the image {ImageLocation} is not removed yet: {Reason}")]
    private partial void LogImageRemovalFailed(string hostId, string imageLocation, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId}: agent session {SessionId} lost: {Reason}")]
    private partial void LogDisconnected(string hostId, string sessionId, string reason);
}
