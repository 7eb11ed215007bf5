using System.Threading.Channels;
using CimiGrains.Hosts;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// Hosts with no agent behind them, for grain tests: each is an <see cref="IAgentObserver"/> connected
/// to its host grain, and collects the commands the cluster sends it. They offer only a driver no
/// Machine asks for, so Machines in the same cluster still find no host.
/// </summary>
public sealed class FakeHosts(GrainClusterFixture fixture) : IAsyncDisposable
{
    private readonly List<(string HostId, string Session, FakeHost Host, IAgentObserver Reference)> _hosts = [];

    public async Task<FakeHost> ConnectAsync(string hostId)
    {
        var host = new FakeHost(hostId);
        var reference = fixture.Cluster.Client.CreateObjectReference<IAgentObserver>(host);
        var session = Guid.NewGuid().ToString("N");
        await fixture.Grains.GetGrain<IHostGrain>(hostId).Connect(
            new HostRegistration(hostId, 4, 4_000_000, 40_000_000, ["test-only"], new Dictionary<string, string>(), "test"), session, reference);
        _hosts.Add((hostId, session, host, reference));
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (hostId, session, _, reference) in _hosts)
        {
            await fixture.Grains.GetGrain<IHostGrain>(hostId).Disconnect(session, "the test ended");
            fixture.Cluster.Client.DeleteObjectReference<IAgentObserver>(reference);
        }
    }
}

public sealed class FakeHost(string hostId) : IAgentObserver
{
    private readonly Channel<HostCommand> _commands = Channel.CreateUnbounded<HostCommand>();

    public string HostId => hostId;

    public Task Deliver(HostCommand command) => _commands.Writer.WriteAsync(command).AsTask();

    public Task RemoveImage(string imageLocation) => Task.CompletedTask;

    /// <summary>The NBD export lists the cluster sent this host, newest last.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<IReadOnlyList<VolumeExport>> Exports { get; } = new();

    public Task ExportVolumes(IReadOnlyList<VolumeExport> exports)
    {
        Exports.Enqueue(exports);
        return Task.CompletedTask;
    }

    public Task<string> Ping() => Task.FromResult("pong");

    public async Task<HostCommand> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            return await _commands.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Host '{hostId}' was sent no command within 20 s.");
        }
    }

    /// <summary>The host's answer to <paramref name="command"/>.</summary>
    public HostReport Answer(HostCommand command, bool succeeded, string? message = null, long? generation = null) =>
        new(hostId, command.ResourceKey, generation ?? command.Generation, succeeded ? ObservedState.Running : ObservedState.Failed,
            command.CommandId, succeeded, message, null);
}
