using System.Security.Cryptography;
using System.Text;
using CimiGrains.Agents.Protocol;
using CimiGrains.Gateway.Hosting;
using CimiGrains.Hosts;
using Grpc.Core;

namespace CimiGrains.Gateway.Agents;

/// <summary>
/// The agents' gRPC endpoint. A session authenticates, registers its host with the host grain through
/// an observer reference (so a host grain on any silo can push commands here), reconciles the agent's
/// inventory with the Machine grains, and then relays: commands out, reports to the Machine grains.
/// </summary>
public sealed partial class AgentHubService(
    IGrainFactory grains, AgentApiOptions options, DatabaseOutage database, Grains.Meters.MeterSampleIngest samples, ILogger<AgentHubService> logger)
    : AgentHub.AgentHubBase
{
    public const string SecretHeader = "x-cimi-agent-secret";

    /// <summary>How often the session tells its host grain it is still open (see <see cref="IHostGrain.Renew"/>).</summary>
    private static readonly TimeSpan RenewPeriod = TimeSpan.FromSeconds(5);

    public override async Task Connect(
        IAsyncStreamReader<AgentMessage> requestStream, IServerStreamWriter<ControllerMessage> responseStream, ServerCallContext context)
    {
        Authenticate(context);
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct) || requestStream.Current.BodyCase != AgentMessage.BodyOneofCase.Register)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message of a session must be Register."));
        var registration = AgentMessages.FromWire(requestStream.Current.Register);
        if (!IsValidHostId(registration.HostId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "host_id must be 1-64 letters, digits, '-', '_' or '.'."));
        if (registration.CpuAllocationRatio is { } cpuRatio && !AllocationRatio.IsValid(cpuRatio)
            || registration.MemoryAllocationRatio is { } memoryRatio && !AllocationRatio.IsValid(memoryRatio))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "cpu_allocation_ratio and memory_allocation_ratio must be 0 (the deployment's) or above 0 and at most 1000."));

        var session = new AgentSession(registration.HostId, Guid.NewGuid().ToString("N"));
        var observer = grains.CreateObjectReference<IAgentObserver>(session);
        var host = grains.GetGrain<IHostGrain>(registration.HostId);
        var reason = "the agent closed its stream";
        Task? writer = null;
        Task? renewal = null;
        // Ends the session from this side: the host grain took a newer session, or dropped this one.
        using var replaced = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            // An agent moving off a dead silo arrives here before that silo is declared dead, and the host
            // grain may still be registered there: the session waits for it rather than fail the agent.
            var placed = await Persistently(() => host.Connect(registration, session.SessionId, observer), registration.HostId, ct);
            LogSessionStarted(registration.HostId, session.SessionId, context.Peer);
            session.Send(new ControllerMessage { Registered = new Registered { SessionId = session.SessionId, Silo = Environment.MachineName } });
            writer = Drain(session, responseStream, ct);
            var placedHere = new SamplePlacement(host);
            renewal = KeepRenewed(host, registration, session, observer, replaced);
            while (await requestStream.MoveNext(replaced.Token))
            {
                var message = requestStream.Current;
                switch (message.BodyCase)
                {
                    case AgentMessage.BodyOneofCase.Inventory:
                        await Persistently(() => Reconcile(session, host, placed, message.Inventory, ct), registration.HostId, ct);
                        // Bridges of Networks the host should no longer have are answered with their removal.
                        var networks = message.Inventory.Networks.ToList();
                        await Persistently(() => host.ReconcileNetworks(session.SessionId, networks), registration.HostId, ct);
                        // Then what the host still owes the cluster: images to remove, the Networks it should have.
                        await Persistently(() => host.Reconciled(session.SessionId), registration.HostId, ct);
                        break;
                    case AgentMessage.BodyOneofCase.ImageStatus:
                        var status = AgentMessages.FromWire(registration.HostId, message.ImageStatus);
                        await Persistently(() => host.OnImageStatus(status), registration.HostId, ct);
                        break;
                    case AgentMessage.BodyOneofCase.ConsoleTail:
                        // The host grain waits for it (HostGrain.ReadConsole); the read is bounded there, so a
                        // lost answer costs nothing but that read, and the session goes on.
                        try
                        {
                            await host.OnConsoleTail(session.SessionId, message.ConsoleTail.RequestId, AgentMessages.FromWire(message.ConsoleTail));
                        }
                        catch (Exception e) when (!ct.IsCancellationRequested)
                        {
                            LogConsoleAnswerLost(registration.HostId, e.GetType().Name);
                        }
                        break;
                    case AgentMessage.BodyOneofCase.Report:
                        var report = AgentMessages.FromWire(registration.HostId, message.Report);
                        var hosted = HostedGrains.Of(grains, report.Resource, report.ResourceKey);
                        await Persistently(() => hosted.OnHostReport(report), registration.HostId, ct);
                        break;
                    case AgentMessage.BodyOneofCase.Samples:
                        // Queued for the next COPY (Grains/Meters/MeterSampleIngest): the session never waits for the database.
                        if (await placedHere.KeepAsync(message.Samples, ct) is { } kept) samples.Enqueue(AgentMessages.FromWire(kept));
                        break;
                    default:
                        LogUnexpected(registration.HostId, message.BodyCase.ToString());
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException || (e is RpcException r && r.StatusCode == StatusCode.Cancelled))
        {
            reason = replaced.IsCancellationRequested && !ct.IsCancellationRequested
                ? "the host grain no longer holds this session; the agent reconnects"
                : $"the agent's stream broke ({e.GetType().Name})";
        }
        finally
        {
            await replaced.CancelAsync();
            if (renewal is not null) await renewal.ContinueWith(_ => { }, TaskScheduler.Default);
            // Closed first, so calls still reaching the observer fail at once; the host grain lets go of it
            // before the reference is deleted, since a call to a deleted reference is never answered.
            session.Close();
            try
            {
                await host.Disconnect(session.SessionId, reason);
            }
            catch (Exception e)
            {
                // The host grain's own heartbeat notices the dead session if this call cannot reach it.
                LogDisconnectFailed(registration.HostId, e.Message);
            }
            grains.DeleteObjectReference<IAgentObserver>(observer);
            if (writer is not null) await writer.ContinueWith(_ => { }, TaskScheduler.Default);
            LogSessionEnded(registration.HostId, session.SessionId, reason);
        }
    }

    /// <summary>
    /// Runs a grain call of the session until it succeeds, while it fails for a reason that passes: the
    /// database is away (the report cannot be stored yet) or the cluster is reconfiguring (the grain's
    /// silo died). Ending the session instead would lose the report and take the host out of placement,
    /// so creates right after the outage would find no host. Messages wait in order behind the one being
    /// retried (the agent's outbox holds them); the session's end (the agent went away) stops the retries.
    /// Reconciliation and reports are idempotent, so repeating one that did land is harmless.
    /// </summary>
    private async Task Persistently(Func<Task> call, string hostId, CancellationToken ct) =>
        await Persistently(async () =>
        {
            await call();
            return true;
        }, hostId, ct);

    private async Task<T> Persistently<T>(Func<Task<T>> call, string hostId, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        var logged = false;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (!ct.IsCancellationRequested && IsPassing(e))
            {
                // A database outage is logged once by the tracker; a cluster change once per wait here.
                if (!database.Observe(e) && !logged) LogRetrying(hostId, e.GetType().Name, e.Message);
                logged = true;
            }
            await Task.Delay(delay, ct);
            delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, delay.Ticks * 2));
        }
    }

    private static bool IsPassing(Exception e) =>
        DatabaseOutage.IsDatabaseUnavailable(e)
        || e is Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException or TimeoutException;

    /// <summary>
    /// The agent's inventory against the cluster's Machines: workloads of live Machines placed on this
    /// host are adopted, the others removed; Machines placed here whose workload is missing are marked.
    /// </summary>
    private async Task Reconcile(AgentSession session, IHostGrain host, IReadOnlyList<string> placed, Inventory inventory, CancellationToken ct)
    {
        var listed = inventory.Workloads.ToDictionary(AgentMessages.ResourceKeyOf, StringComparer.Ordinal);
        var checks = inventory.Workloads.Select(async w =>
        {
            var key = AgentMessages.ResourceKeyOf(w);
            if (!IsResourceKey(key))
            {
                Remove(session, w);
                return;
            }
            var decision = await Persistently(() => HostedGrains.Of(grains, AgentMessages.FromWire(w.ResourceKind), key)
                .ReconcileWithHost(session.HostId, session.SessionId, w.Generation, AgentMessages.FromWire(w.State)), session.HostId, ct);
            if (decision == HostAdoption.Remove)
            {
                Remove(session, w);
                await host.Forget(key);
            }
            else if (w.ResourceKind == CimiGrains.Agents.Protocol.ResourceKind.Machine)
            {
                // What the host has attached, against what the Machine records (docs/VOLUMES.md, "At reconnection").
                await Persistently(() => grains.GetGrain<IHostedMachineGrain>(key)
                    .ReconcileVolumes(session.HostId, session.SessionId, [.. w.AttachedVolumes]), session.HostId, ct);
            }
        }).Concat(placed.Where(k => !listed.ContainsKey(k)).Select(async missing =>
        {
            // The host grain places Machines only (the one kind with a capacity share so far).
            if (await Persistently(() => HostedGrains.Of(grains, HostedKind.Machine, missing)
                    .ReconcileWithHost(session.HostId, session.SessionId, 0, Hosts.ObservedState.Absent), session.HostId, ct) == HostAdoption.Remove)
                await host.Forget(missing);
        }));
        await Task.WhenAll(checks);
        LogReconciled(session.HostId, inventory.Workloads.Count, placed.Count);
    }

    private void Remove(AgentSession session, Workload workload)
    {
        var key = AgentMessages.ResourceKeyOf(workload);
        LogOrphan(session.HostId, key, workload.ContainerId);
        // Fenced by the newest generation the agent has accepted for the Machine (an older one would be
        // refused as stale); the agent still keeps a container labelled with a newer generation.
        session.Send(new ControllerMessage
        {
            Command = new Command
            {
                CommandId = "reconcile-" + Guid.NewGuid().ToString("N"),
                ResourceKind = workload.ResourceKind,
                ResourceId = key,
                MachineKey = workload.ResourceKind == CimiGrains.Agents.Protocol.ResourceKind.Machine ? key : "",
                Generation = Math.Max(workload.Generation, workload.FenceGeneration),
                Kind = CommandKind.Delete,
                Force = true,
            },
        });
    }

    /// <summary>
    /// Tells the host grain every <see cref="RenewPeriod"/> that the session is open, so a host grain that
    /// reactivated elsewhere (its silo died) gets the session back instead of calling the host away; ends
    /// the session when the host grain answers that it holds another one (or has dropped this one).
    /// </summary>
    private async Task KeepRenewed(IHostGrain host, HostRegistration registration, AgentSession session, IAgentObserver observer,
        CancellationTokenSource end)
    {
        using var timer = new PeriodicTimer(RenewPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(end.Token))
            {
                try
                {
                    if (await host.Renew(registration, session.SessionId, observer)) continue;
                    LogReplaced(session.HostId, session.SessionId);
                    await end.CancelAsync();
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The host grain is moving with a dead silo (the next tick reaches its new activation),
                    // or could not answer now: renewing is repeated, so one miss costs nothing.
                    LogRenewFailed(session.HostId, e.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended.
        }
    }

    private static async Task Drain(AgentSession session, IServerStreamWriter<ControllerMessage> stream, CancellationToken ct)
    {
        await foreach (var message in session.Outbox.ReadAllAsync(ct)) await stream.WriteAsync(message, ct);
    }

    private void Authenticate(ServerCallContext context)
    {
        var given = context.RequestHeaders.GetValue(SecretHeader) ?? "";
        var expected = options.Secret ?? throw new RpcException(new Status(StatusCode.Unavailable, "The agent API is off."));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected)))
        {
            LogRejected(context.Peer);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "The enrollment secret is wrong."));
        }
    }

    private static bool IsValidHostId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool IsResourceKey(string key)
    {
        var slash = key.IndexOf('/');
        return slash > 0 && slash < key.Length - 1;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent session {SessionId} for host {HostId} started from {Peer}")]
    private partial void LogSessionStarted(string hostId, string sessionId, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId}: retrying a message of its agent until the cluster takes it: {Error}: {Reason}")]
    private partial void LogRetrying(string hostId, string error, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent session {SessionId} for host {HostId} ended: {Reason}")]
    private partial void LogSessionEnded(string hostId, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent session {SessionId} for host {HostId} was replaced; ending it")]
    private partial void LogReplaced(string hostId, string sessionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Host {HostId}: the session could not be renewed this time ({Error})")]
    private partial void LogRenewFailed(string hostId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected an agent from {Peer}: wrong enrollment secret")]
    private partial void LogRejected(string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId}: could not record the session's end: {Error}")]
    private partial void LogDisconnectFailed(string hostId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId}: a console answer could not be handed to its host grain ({Error})")]
    private partial void LogConsoleAnswerLost(string hostId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId} sent an unexpected {Body}")]
    private partial void LogUnexpected(string hostId, string body);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId} reconciled: {Workloads} workloads listed, {Placed} Machines placed")]
    private partial void LogReconciled(string hostId, int workloads, int placed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId}: removing orphan workload of {MachineKey} ({ContainerId})")]
    private partial void LogOrphan(string hostId, string machineKey, string containerId);
}
