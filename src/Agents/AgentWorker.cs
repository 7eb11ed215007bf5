using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Protocol;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents;

/// <summary>
/// Keeps one session with the cluster: connects to the first controller that answers (rotating through
/// the list from a random start, so the agents of a cluster spread over its silos), registers the host,
/// sends the inventory, then runs commands and reports results and the drivers' events. When the stream breaks
/// (its silo died, or ended the session) it reconnects by itself to the next controller, after a short
/// jittered backoff that grows only while no controller accepts it.
/// </summary>
public sealed partial class AgentWorker(
    AgentOptions options, HostDrivers drivers, CommandExecutor executor, ImageRemovals images, ILogger<AgentWorker> logger,
    Volumes.VolumePool pool, Volumes.VolumeCommands volumes, Volumes.VolumeExportServer exports,
    Networks.INetworkPlane? networkPlane = null) : BackgroundService
{
    public const string SecretHeader = "x-cimi-agent-secret";
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    /// <summary>The most console bytes one answer carries, whatever the cluster asks: well under gRPC's
    /// 4 MiB message limit, so a large tail never breaks the session's stream.</summary>
    public const int MaxConsoleBytes = 1024 * 1024;

    /// <summary>The current session's outbox; null between sessions (events then wait for the inventory).</summary>
    private volatile Channel<AgentMessage>? _outbox;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Only drivers that can run here are offered; none at all stops the agent.
        await drivers.ProbeAsync(stoppingToken);
        var watcher = Task.WhenAll(drivers.Available.Select(d => WatchAsync(d, stoppingToken)));
        var backoff = TimeSpan.FromMilliseconds(200);
        var next = Random.Shared.Next(options.Controllers.Count);
        while (!stoppingToken.IsCancellationRequested)
        {
            var controller = options.Controllers[next % options.Controllers.Count];
            next++;
            try
            {
                await RunSessionAsync(controller, () => backoff = TimeSpan.FromMilliseconds(200), stoppingToken);
                LogSessionEnded(controller, "the controller closed the stream");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
            {
                LogRejected(controller, e.Status.Detail);
            }
            catch (Exception e) when (TlsFailure(e) is { } tls)
            {
                LogTlsFailed(controller, tls.Message, options.CaCertificatePath ?? "the system's roots");
            }
            catch (Exception e)
            {
                LogSessionEnded(controller, $"{e.GetType().Name}: {e.Message}");
            }
            try
            {
                await Task.Delay(Jittered(backoff), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
        await watcher.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Between half of and the whole backoff: agents that lost the same silo do not all dial the
    /// survivors at the same instant.</summary>
    private static TimeSpan Jittered(TimeSpan backoff) => backoff * (0.5 + Random.Shared.NextDouble() * 0.5);

    private async Task RunSessionAsync(Uri controller, Action connected, CancellationToken stoppingToken)
    {
        using var channel = GrpcChannel.ForAddress(controller, new GrpcChannelOptions { HttpHandler = CreateHandler(options) });
        using var sessionCts = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var ct = sessionCts.Token;
        var client = new AgentHub.AgentHubClient(channel);
        using var call = client.Connect(new Metadata { { SecretHeader, options.Secret } }, cancellationToken: ct);

        var register = new Register
        {
            HostId = options.HostId,
            Cpu = options.Cpu,
            MemoryKib = options.MemoryKiB,
            // A pool on the drivers' file system takes its share out of theirs (VOLUMES.md, "The pool"): no byte offered twice.
            DiskKib = pool.ShareFileSystem(HostDisk.TotalKiB(drivers.Available.Select(d => d.StorageDirectory)), drivers.Available.Select(d => d.StorageDirectory)),
            VolumePoolKib = pool.CapacityKiB,
            NbdHost = exports.Host ?? "",
            AgentVersion = typeof(AgentWorker).Assembly.GetName().Version?.ToString() ?? "0",
            CpuAllocationRatio = options.CpuAllocationRatio ?? 0,
            MemoryAllocationRatio = options.MemoryAllocationRatio ?? 0,
            UnderlayAddress = UnderlayAddress,
        };
        register.Drivers.AddRange(drivers.Available.Select(d => d.Name));
        foreach (var (k, v) in options.Labels) register.Labels[k] = v;
        // What each driver says about itself here (e.g. qemu.accelerator): the operator's own labels
        // (CIMI_AGENT_LABELS) are kept, and a driver's key is added only where the operator set none.
        foreach (var driver in drivers.Available)
            foreach (var (k, v) in driver.Labels) register.Labels.TryAdd(k, v);
        await call.RequestStream.WriteAsync(new AgentMessage { Register = register }, ct);
        if (!await call.ResponseStream.MoveNext(ct) || call.ResponseStream.Current.BodyCase != ControllerMessage.BodyOneofCase.Registered)
            throw new InvalidOperationException("The controller did not acknowledge the registration.");
        var registered = call.ResponseStream.Current.Registered;
        connected();
        LogConnected(controller, options.HostId, registered.SessionId);

        // Inventory first, then everything else: the cluster reconciles against it.
        var inventory = await drivers.ListAsync(ct);
        executor.Learn(inventory);
        var message = new Inventory();
        message.Workloads.AddRange(inventory.Select(w => new Workload
        {
            MachineKey = w.MachineKey, ResourceKind = ResourceKind.Machine, ResourceId = w.MachineKey,
            Generation = w.Generation, State = w.State, ContainerId = w.WorkloadId ?? "",
            FenceGeneration = executor.NewestGeneration(w.MachineKey),
            AttachedVolumes = { w.Volumes ?? [] },
            NetworkInterfaces = { w.NetworkInterfaces ?? [] },
        }));
        message.Networks.AddRange(await InventoryNetworksAsync(ct));
        // The pool's Volumes too: the cluster removes those it no longer knows, as it does workloads.
        message.Workloads.AddRange(volumes.Inventory());
        await call.RequestStream.WriteAsync(new AgentMessage { Inventory = message }, ct);
        await ReconcilePlaneAsync(inventory, ct);

        var outbox = Channel.CreateUnbounded<AgentMessage>(new UnboundedChannelOptions { SingleReader = true });
        _outbox = outbox;
        var writer = Task.Run(async () =>
        {
            await foreach (var m in outbox.Reader.ReadAllAsync(ct)) await call.RequestStream.WriteAsync(m, ct);
        }, ct);
        var networkStates = Channel.CreateUnbounded<NetworkState>(new UnboundedChannelOptions { SingleReader = true });
        var networks = Task.Run(() => ApplyNetworkStatesAsync(networkStates.Reader, ct), ct);
        var sampling = Task.Run(() => SampleAsync(ct), ct);
        try
        {
            var reader = ReadCommandsAsync(call.ResponseStream, outbox.Writer, networkStates.Writer, ct);
            // Whichever ends first ends the session: a broken write is as fatal as a broken read.
            var ended = await Task.WhenAny(reader, writer);
            await ended;
        }
        finally
        {
            _outbox = null;
            outbox.Writer.TryComplete();
            networkStates.Writer.TryComplete();
            await sessionCts.CancelAsync();
            // The plane's work ends with the session (a new one brings every state again); its failures never end one.
            await networks.ContinueWith(_ => { }, TaskScheduler.Default);
            await sampling.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task ReadCommandsAsync(IAsyncStreamReader<ControllerMessage> commands, ChannelWriter<AgentMessage> outbox,
        ChannelWriter<NetworkState> networkStates, CancellationToken ct)
    {
        while (await commands.MoveNext(ct))
        {
            switch (commands.Current.BodyCase)
            {
                case ControllerMessage.BodyOneofCase.Command:
                    var command = commands.Current.Command;
                    _ = Task.Run(async () =>
                    {
                        var report = await executor.ExecuteAsync(command, ct);
                        outbox.TryWrite(new AgentMessage { Report = report });
                        // A container went away: an image kept for it may go now.
                        if (command.Kind == CommandKind.Delete && report.Succeeded) await RetryImageRemovals(outbox, ct);
                    }, ct);
                    break;
                case ControllerMessage.BodyOneofCase.ConsoleRequest:
                    var request = commands.Current.ConsoleRequest;
                    _ = Task.Run(async () => outbox.TryWrite(new AgentMessage { ConsoleTail = await ReadConsoleAsync(request, ct) }), ct);
                    break;
                case ControllerMessage.BodyOneofCase.VolumeExports:
                    exports.Submit([.. commands.Current.VolumeExports.Exports], ct);
                    break;
                case ControllerMessage.BodyOneofCase.NetworkState:
                    networkStates.TryWrite(commands.Current.NetworkState);
                    break;
                case ControllerMessage.BodyOneofCase.RemoveImage:
                    var location = commands.Current.RemoveImage.ImageLocation;
                    _ = Task.Run(async () => outbox.TryWrite(new AgentMessage { ImageStatus = await images.RemoveAsync(location, ct) }), ct);
                    break;
            }
        }
    }

    /// <summary>
    /// The tail of a Machine's console from the driver holding its workload. Never throws: the cluster
    /// waits for exactly one answer per request, so every failure is an answer with its reason.
    /// </summary>
    private async Task<ConsoleTail> ReadConsoleAsync(ConsoleRequest request, CancellationToken ct)
    {
        var tail = new ConsoleTail { RequestId = request.RequestId };
        if (request.ResourceKind != ResourceKind.Machine)
        {
            tail.Error = $"This agent keeps no console for resources of kind {request.ResourceKind}.";
            return tail;
        }
        var key = request.ResourceId;
        try
        {
            var driver = await drivers.HoldingAsync(key, ct);
            if ((await driver.InspectAsync(key, ct)).State == ObservedState.Absent)
            {
                tail.Error = $"Machine '{key}' has no workload on host '{options.HostId}'.";
                return tail;
            }
            tail.Text = await driver.ReadConsoleAsync(key, Math.Clamp(request.MaxBytes, 1, MaxConsoleBytes), ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // A driver's own failures are DriverExceptions; anything else is answered too, never left unanswered.
            tail.Error = e is DriverException ? e.Message : $"Reading the console failed: {e.GetType().Name}: {e.Message}";
        }
        return tail;
    }

    private async Task RetryImageRemovals(ChannelWriter<AgentMessage>? outbox, CancellationToken ct)
    {
        foreach (var status in await images.RetryAsync(ct)) outbox?.TryWrite(new AgentMessage { ImageStatus = status });
    }

    /// <summary>A driver's events for this host's workloads, forwarded as observations to the current session.</summary>
    private async Task WatchAsync(IMachineDriver driver, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var change in driver.WatchAsync(ct))
                {
                    drivers.Observed(driver, change);
                    _outbox?.Writer.TryWrite(new AgentMessage
                    {
                        Report = new Report
                        {
                            MachineKey = change.MachineKey, ResourceKind = ResourceKind.Machine, ResourceId = change.MachineKey,
                            Generation = change.Generation, State = change.State, Message = change.Detail ?? "",
                        },
                    });
                    // A container was removed (also behind the cluster's back): a kept image may go now.
                    if (change.State == ObservedState.Absent) await RetryImageRemovals(_outbox?.Writer, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogWatchFailed(driver.Name, e.Message);
            }
            // The driver's event stream ended (its runtime restarted): the next inventory covers the gap.
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The HTTP handler for channels to the controllers (also the image store's): long-lived, pinged, and
    /// trusting only <see cref="AgentOptions.TrustedRoots"/> when they are set.</summary>
    internal static SocketsHttpHandler CreateHandler(AgentOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // The session is one long stream: never recycle its connection, and find a dead peer with pings.
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(5),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            EnableMultipleHttp2Connections = true,
        };
        if (options.TrustedRoots is { } roots)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                // Only the configured roots: a certificate the system would trust is not enough.
                RemoteCertificateValidationCallback = (_, certificate, presented, errors) =>
                {
                    if (certificate is null) return false;
                    if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    // Intermediates the controller presented may link its certificate to a configured root.
                    if (presented is not null)
                    {
                        foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                    }
                    chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // id-kp-serverAuth
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var leaf = new X509Certificate2(certificate);
                    return chain.Build(leaf);
                },
            };
        }
        return handler;
    }

    /// <summary>The TLS handshake failure behind a failed call (gRPC wraps it in its status), if any.</summary>
    private static AuthenticationException? TlsFailure(Exception? e)
    {
        for (var depth = 0; e is not null && depth < 8; depth++)
        {
            if (e is AuthenticationException a) return a;
            e = e is RpcException r ? r.Status.DebugException : e.InnerException;
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Controller} as host {HostId} (session {SessionId})")]
    private partial void LogConnected(Uri controller, string hostId, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session with {Controller} ended: {Reason}; reconnecting")]
    private partial void LogSessionEnded(Uri controller, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Controller} rejected this agent: {Detail} (check CIMI_AGENT_SECRET)")]
    private partial void LogRejected(Uri controller, string detail);

    [LoggerMessage(Level = LogLevel.Error, Message = "TLS with {Controller} failed: {Detail} (this agent trusts {Roots}; check CIMI_AGENT_CA)")]
    private partial void LogTlsFailed(Uri controller, string detail, string roots);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Driver} driver's event stream failed: {Error}; resubscribing")]
    private partial void LogWatchFailed(string driver, string error);
}
