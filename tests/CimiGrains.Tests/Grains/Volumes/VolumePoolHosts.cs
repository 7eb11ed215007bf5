using CimiGrains.Hosts;
using CimiGrains.Tests.Grains;

namespace CimiGrains.Tests.Grains.Volumes;

/// <summary>
/// <see cref="FakeHost"/>s that offer a volume pool of a given size, for Volume grain tests. Like
/// <see cref="FakeHosts"/>, their only driver is one no Machine asks for; they disconnect at disposal,
/// so later tests' placements never see them.
/// </summary>
public sealed class VolumePoolHosts(GrainClusterFixture fixture) : IAsyncDisposable
{
    // The FakeHost is held here too: Orleans keeps only a weak reference to an observer, so a host a test no longer
    // uses could be collected before disposal, and deleting its reference would then fail.
    private readonly List<(string HostId, string Session, IAgentObserver Reference, FakeHost Host)> _hosts = [];

    public static string NewHostId() => "v" + Guid.NewGuid().ToString("N")[..10];

    public async Task<FakeHost> ConnectAsync(long poolKiB, string? hostId = null, string? nbdHost = null)
    {
        hostId ??= NewHostId();
        var host = new FakeHost(hostId);
        var reference = fixture.Cluster.Client.CreateObjectReference<IAgentObserver>(host);
        var session = Guid.NewGuid().ToString("N");
        await fixture.Grains.GetGrain<IHostGrain>(hostId).Connect(Registration(hostId, poolKiB) with { NbdHost = nbdHost }, session, reference);
        _hosts.Add((hostId, session, reference, host));
        return host;
    }

    public static HostRegistration Registration(string hostId, long poolKiB) =>
        new(hostId, 4, 4_000_000, 40_000_000, ["test-only"], new Dictionary<string, string>(), "test", VolumePoolKiB: poolKiB);

    /// <summary>Ends the host's session, as when its agent goes away.</summary>
    public async Task DisconnectAsync(FakeHost host)
    {
        var (hostId, session, _, _) = _hosts.Single(h => h.HostId == host.HostId);
        await fixture.Grains.GetGrain<IHostGrain>(hostId).Disconnect(session, "the test took the agent away");
    }

    /// <summary>The host's answer to a Volume command: done (its file is there) or failed.</summary>
    public static HostReport Answer(FakeHost host, HostCommand command, bool succeeded, string? message = null, string? resultImageLocation = null) =>
        new(host.HostId, command.ResourceKey, command.Generation, succeeded ? ObservedState.Created : ObservedState.Failed,
            command.CommandId, succeeded, message, resultImageLocation, HostedKind.Volume);

    public async ValueTask DisposeAsync()
    {
        foreach (var (hostId, session, reference, _) in _hosts)
        {
            await fixture.Grains.GetGrain<IHostGrain>(hostId).Disconnect(session, "the test ended");
            fixture.Cluster.Client.DeleteObjectReference<IAgentObserver>(reference);
        }
    }
}
