using System.Security.Cryptography;
using System.Text;
using CimiGrains.Agents.Protocol;
using CimiGrains.Hosts;
using Grpc.Core;

namespace CimiGrains.Gateway.Agents;

/// <summary>
/// The agents' gRPC endpoint. A session authenticates, registers its host with the host grain through
/// an observer reference (so a host grain on any silo can push commands here), reconciles the agent's
/// inventory with the Machine grains, and then relays: commands out, reports to the Machine grains.
/// </summary>
public sealed partial class AgentHubService(
    IGrainFactory grains, AgentApiOptions options, ILogger<AgentHubService> logger) : AgentHub.AgentHubBase
{
    public const string SecretHeader = "x-cimi-agent-secret";

    /// <summary>How often the session tells its host grain it is still open (see <see cref="IHostGrain.Renew"/>).</summary>
    private static readonly TimeSpan RenewPeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a call to a grain is retried while the silo it lives on has died and is not yet declared
    /// dead (Orleans rejects such calls at once until then; the grain then reactivates on a live silo).
    /// </summary>
    private static readonly TimeSpan SiloMoveWait = TimeSpan.FromSeconds(45);

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
            // An agent moving off a dead silo arrives here before that silo is declared dead; the host
            // grain may still be registered there. The session waits for it rather than fail the agent.
            var placed = await WhileSiloMoves(() => host.Connect(registration, session.SessionId, observer), registration.HostId, ct);
            LogSessionStarted(registration.HostId, session.SessionId, context.Peer);
            session.Send(new ControllerMessage { Registered = new Registered { SessionId = session.SessionId, Silo = Environment.MachineName } });
            writer = Drain(session, responseStream, ct);
            renewal = KeepRenewed(host, registration, session, observer, replaced);
            while (await requestStream.MoveNext(replaced.Token))
            {
                var message = requestStream.Current;
                switch (message.BodyCase)
                {
                    case AgentMessage.BodyOneofCase.Inventory:
                        await Reconcile(session, host, placed, message.Inventory);
                        // Then what the host still owes the cluster: images to remove.
                        await host.Reconciled(session.SessionId);
                        break;
                    case AgentMessage.BodyOneofCase.ImageStatus:
                        await host.OnImageStatus(AgentMessages.FromWire(registration.HostId, message.ImageStatus));
                        break;
                    case AgentMessage.BodyOneofCase.Report:
                        await grains.GetGrain<CimiGrains.Machines.IMachineGrain>(message.Report.MachineKey)
                            .OnHostReport(AgentMessages.FromWire(registration.HostId, message.Report));
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
            session.Close();
            grains.DeleteObjectReference<IAgentObserver>(observer);
            try
            {
                await host.Disconnect(session.SessionId, reason);
            }
            catch (Exception e)
            {
                // The host grain's own heartbeat notices the dead session if this call cannot reach it.
                LogDisconnectFailed(registration.HostId, e.Message);
            }
            if (writer is not null) await writer.ContinueWith(_ => { }, TaskScheduler.Default);
            LogSessionEnded(registration.HostId, session.SessionId, reason);
        }
    }

    /// <summary>
    /// The agent's inventory against the cluster's Machines: workloads of live Machines placed on this
    /// host are adopted, the others removed; Machines placed here whose workload is missing are marked.
    /// </summary>
    private async Task Reconcile(AgentSession session, IHostGrain host, IReadOnlyList<string> placed, Inventory inventory)
    {
        var listed = inventory.Workloads.ToDictionary(w => w.MachineKey, StringComparer.Ordinal);
        var checks = inventory.Workloads.Select(async w =>
        {
            if (!IsMachineKey(w.MachineKey))
            {
                Remove(session, w);
                return;
            }
            var decision = await WhileSiloMoves(() => grains.GetGrain<IHostedMachineGrain>(w.MachineKey)
                .ReconcileWithHost(session.HostId, session.SessionId, w.Generation, AgentMessages.FromWire(w.State)), session.HostId, default);
            if (decision == HostAdoption.Remove)
            {
                Remove(session, w);
                await host.Forget(w.MachineKey);
            }
        }).Concat(placed.Where(k => !listed.ContainsKey(k)).Select(async missing =>
        {
            if (await WhileSiloMoves(() => grains.GetGrain<IHostedMachineGrain>(missing)
                    .ReconcileWithHost(session.HostId, session.SessionId, 0, Hosts.ObservedState.Absent), session.HostId, default) == HostAdoption.Remove)
                await host.Forget(missing);
        }));
        await Task.WhenAll(checks);
        LogReconciled(session.HostId, inventory.Workloads.Count, placed.Count);
    }

    private void Remove(AgentSession session, Workload workload)
    {
        LogOrphan(session.HostId, workload.MachineKey, workload.ContainerId);
        // Fenced by the newest generation the agent has accepted for the Machine (an older one would be
        // refused as stale); the agent still keeps a container labelled with a newer generation.
        session.Send(new ControllerMessage
        {
            Command = new Command
            {
                CommandId = "reconcile-" + Guid.NewGuid().ToString("N"),
                MachineKey = workload.MachineKey,
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

    /// <summary>Retries a grain call while the silo it is addressed to has died and is not declared dead yet.</summary>
    private async Task<T> WhileSiloMoves<T>(Func<Task<T>> call, string hostId, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + SiloMoveWait;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsSiloLoss(e) && DateTime.UtcNow < deadline)
            {
                if (attempt == 1) LogWaitingForSilo(hostId, e.GetType().Name);
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }
    }

    private static bool IsSiloLoss(Exception e) =>
        e is Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException or TimeoutException;

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

    private static bool IsMachineKey(string key)
    {
        var slash = key.IndexOf('/');
        return slash > 0 && slash < key.Length - 1;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent session {SessionId} for host {HostId} started from {Peer}")]
    private partial void LogSessionStarted(string hostId, string sessionId, string peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent session {SessionId} for host {HostId} ended: {Reason}")]
    private partial void LogSessionEnded(string hostId, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent session {SessionId} for host {HostId} was replaced; ending it")]
    private partial void LogReplaced(string hostId, string sessionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Host {HostId}: the session could not be renewed this time ({Error})")]
    private partial void LogRenewFailed(string hostId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId}: a grain is on a silo that is going away ({Error}); waiting for it to move")]
    private partial void LogWaitingForSilo(string hostId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected an agent from {Peer}: wrong enrollment secret")]
    private partial void LogRejected(string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId}: could not record the session's end: {Error}")]
    private partial void LogDisconnectFailed(string hostId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId} sent an unexpected {Body}")]
    private partial void LogUnexpected(string hostId, string body);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId} reconciled: {Workloads} workloads listed, {Placed} Machines placed")]
    private partial void LogReconciled(string hostId, int workloads, int placed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {HostId}: removing orphan workload of {MachineKey} ({ContainerId})")]
    private partial void LogOrphan(string hostId, string machineKey, string containerId);
}
