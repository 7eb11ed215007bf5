using CimiGrains.Grains.Hosts;
using CimiGrains.Hosts;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// A host grain whose agent observer never answers: what a session looks like once its stream ended and
/// its object reference was deleted, or its silo died. Calls to such a reference are dropped, so the
/// grain must bound every wait on it; otherwise each caller queued behind it fails after the whole
/// response timeout (a consumer's MachineImage DELETE got 503 that way while its host was away).
/// Its own cluster (a class fixture, not the shared collection's): the hosts it connects would
/// otherwise be offered to the placement of other grain tests, which expect a cluster without hosts.
/// </summary>
public sealed class SilentAgentTests(GrainClusterFixture fixture) : IClassFixture<GrainClusterFixture>
{
    /// <summary>Well past <see cref="HostGrain.AgentCallTimeout"/>, well short of a response timeout.</summary>
    private static readonly TimeSpan Patience = HostGrain.AgentCallTimeout + TimeSpan.FromSeconds(4);

    [Fact]
    public async Task An_image_removal_is_recorded_and_answered_without_waiting_on_a_silent_agent()
    {
        var (host, _) = await ConnectSilentAsync();

        await host.RemoveImage("docker:cimigrains/capture:silent").WaitAsync(Patience);

        Assert.Contains("docker:cimigrains/capture:silent", await host.GetImagesToRemove());
    }

    [Fact]
    public async Task A_command_for_a_silent_agent_fails_as_unavailable_and_ends_the_session()
    {
        var (host, hostId) = await ConnectSilentAsync();
        var command = new HostCommand("c1", GrainKeys.Of(GrainClusterFixture.NewTenant(), "m1"), 1, HostCommandKind.Start, null, false, null);

        var refused = await Assert.ThrowsAsync<CimiException>(() => host.Submit(command).WaitAsync(Patience));

        Assert.Equal(CimiErrorKind.Unavailable, refused.Kind);
        Assert.Contains(hostId, refused.Message);
        Assert.False((await host.GetInfo()).Connected);
    }

    [Fact]
    public async Task While_the_heartbeat_waits_on_a_silent_agent_other_calls_are_answered()
    {
        var (host, _) = await ConnectSilentAsync();
        // The first heartbeat starts one period after activation; from then on, one ping is outstanding.
        await Task.Delay(HostGrain.HeartbeatPeriod + TimeSpan.FromMilliseconds(200));

        var answered = await host.GetInfo().WaitAsync(TimeSpan.FromSeconds(2));

        Assert.NotNull(answered);
    }

    private async Task<(IHostGrain Host, string HostId)> ConnectSilentAsync()
    {
        var hostId = "silent-" + Guid.NewGuid().ToString("N")[..8];
        var host = fixture.Grains.GetGrain<IHostGrain>(hostId);
        var observer = fixture.Grains.CreateObjectReference<IAgentObserver>(new SilentAgent());
        var registration = new HostRegistration(hostId, 2, 1024 * 1024, 1024 * 1024, ["docker"], new Dictionary<string, string>(), "test");
        await host.Connect(registration, Guid.NewGuid().ToString("N"), observer);
        return (host, hostId);
    }

    /// <summary>An agent session that never answers anything.</summary>
    private sealed class SilentAgent : IAgentObserver
    {
        public Task Deliver(HostCommand command) => new TaskCompletionSource().Task;
        public Task RemoveImage(string imageLocation) => new TaskCompletionSource().Task;
        public Task<string> Ping() => new TaskCompletionSource<string>().Task;
    }
}
