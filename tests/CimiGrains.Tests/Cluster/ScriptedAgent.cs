using System.Threading.Channels;
using CimiGrains.Agents.Protocol;
using Grpc.Core;
using ResourceKind = CimiGrains.Agents.Protocol.ResourceKind;
using Grpc.Net.Client;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// An agent whose answers the test decides: it registers a host, reports an empty inventory and hands
/// every command it receives to the test, which reports back (or not) when it chooses. It lets a test
/// hold an operation in flight across a crash, which a real agent finishes too quickly to catch.
/// </summary>
public sealed class ScriptedAgent : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly string _hostId;
    private readonly string _secret;
    private AsyncDuplexStreamingCall<AgentMessage, ControllerMessage>? _call;
    private Task _receiving = Task.CompletedTask;

    /// <summary>The host's underlay (VXLAN tunnel) address it registers; empty: it offers no Networks.</summary>
    private readonly string _underlayAddress;

    /// <summary>The volume pool it registers (KiB); 0: it holds no Volumes.</summary>
    private readonly long _volumePoolKiB;

    public ScriptedAgent(int agentPort, string hostId, string secret, string underlayAddress = "", long volumePoolKiB = 0)
    {
        _underlayAddress = underlayAddress;
        _volumePoolKiB = volumePoolKiB;
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{agentPort}");
        _hostId = hostId;
        _secret = secret;
    }

    /// <summary>Commands in the order they arrived, over every session.</summary>
    public Channel<Command> Commands { get; } = Channel.CreateUnbounded<Command>();

    /// <summary>The Networks' states the cluster sent, in order, over every session.</summary>
    public Channel<NetworkState> NetworkStates { get; } = Channel.CreateUnbounded<NetworkState>();

    /// <summary>Opens a session (retrying while the gateway starts) and waits until it is registered;
    /// <paramref name="inventory"/> is what the host reports having (empty unless given).</summary>
    public async Task ConnectAsync(Inventory? inventory = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                var call = new AgentHub.AgentHubClient(_channel).Connect(new Metadata { { "x-cimi-agent-secret", _secret } });
                await call.RequestStream.WriteAsync(new AgentMessage
                {
                    Register = new Register { HostId = _hostId, Cpu = 16, MemoryKib = 64L * 1024 * 1024, DiskKib = 1L << 30, Drivers = { "docker" }, UnderlayAddress = _underlayAddress,
                        VolumePoolKib = _volumePoolKiB },
                });
                if (!await call.ResponseStream.MoveNext(CancellationToken.None) || call.ResponseStream.Current.Registered is null)
                    throw new InvalidOperationException("The cluster did not register the scripted agent.");
                await call.RequestStream.WriteAsync(new AgentMessage { Inventory = inventory ?? new Inventory() });
                _call = call;
                _receiving = ReceiveAsync(call);
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }
        }
    }

    /// <summary>Sends any message on the current session, as an agent of another build (or a compromised one) could.</summary>
    public Task SendAsync(AgentMessage message) => _call!.RequestStream.WriteAsync(message);

    /// <summary>Answers a command: done, with the workload in <paramref name="state"/>.</summary>
    public Task SucceedAsync(Command command, ObservedState state) =>
        _call!.RequestStream.WriteAsync(new AgentMessage
        {
            Report = new Report
            {
                MachineKey = command.MachineKey, Generation = command.Generation, CommandId = command.CommandId,
                State = state, Succeeded = true, Message = "done by the scripted agent",
            },
        });

    /// <summary>Answers a Volume command (a create, a delete): done, the Volume's file there or not.</summary>
    public Task SucceedVolumeAsync(Command command, ObservedState state) =>
        _call!.RequestStream.WriteAsync(new AgentMessage
        {
            Report = new Report
            {
                Generation = command.Generation, CommandId = command.CommandId, State = state, Succeeded = true,
                Message = "done by the scripted agent", ResourceKind = ResourceKind.Volume, ResourceId = command.ResourceId,
            },
        });

    /// <summary>Answers a command: the host could not do it, and the workload is in <paramref name="state"/>.</summary>
    public Task FailAsync(Command command, ObservedState state) =>
        _call!.RequestStream.WriteAsync(new AgentMessage
        {
            Report = new Report
            {
                MachineKey = command.MachineKey, Generation = command.Generation, CommandId = command.CommandId,
                State = state, Succeeded = false, Message = "refused by the scripted agent",
            },
        });

    /// <summary>Ends the session abruptly, as a killed agent's ends (the stream is reset, never closed).</summary>
    public async Task DropAsync()
    {
        var call = _call;
        _call = null;
        call?.Dispose();
        await _receiving;
    }

    public async Task<Command> NextCommandAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await Commands.Reader.ReadAsync(cts.Token);
    }

    private async Task ReceiveAsync(AsyncDuplexStreamingCall<AgentMessage, ControllerMessage> call)
    {
        try
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync())
            {
                if (message.Command is { } command) await Commands.Writer.WriteAsync(command);
                if (message.NetworkState is { } network) await NetworkStates.Writer.WriteAsync(network);
            }
        }
        catch (RpcException)
        {
            // The gateway went away; the test reconnects when it has restarted it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _call?.Dispose();
        await _receiving;
        _channel.Dispose();
    }
}
