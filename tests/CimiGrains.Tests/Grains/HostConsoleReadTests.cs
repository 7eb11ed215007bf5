using System.Diagnostics;
using CimiGrains.Grains.Hosts;
using CimiGrains.Hosts;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// A host grain reading a console through its agent's observer: the agent's answer (which arrives as
/// <see cref="IHostGrain.OnConsoleTail"/>) is relayed, an agent without a console is a Conflict naming
/// its reason, a host without an agent is Unavailable at once, and an agent that never answers, or a
/// session reference that never takes the request (deleted, or its silo died), is given up on within a
/// bound while the grain keeps answering other calls. Its own cluster, as <see cref="SilentAgentTests"/>: its hosts must not be
/// offered to other grain tests' placements.
/// </summary>
public sealed class HostConsoleReadTests(GrainClusterFixture fixture) : IClassFixture<GrainClusterFixture>
{
    private static readonly TimeSpan Bound = MachineConsole.AnswerTimeout + HostGrain.AgentCallTimeout;

    [Fact]
    public async Task The_agent_answer_is_relayed_and_its_refusal_is_a_conflict_naming_the_reason()
    {
        var agent = new AnsweringAgent();
        var (host, hostId) = await ConnectAsync(agent);
        agent.Host = host;

        Assert.Equal("tail of t/m1 (100 bytes)", await host.ReadConsole("t/m1", 100));
        var refused = await Assert.ThrowsAsync<CimiException>(() => host.ReadConsole("t/none", 100));
        Assert.Equal(CimiErrorKind.Conflict, refused.Kind);
        Assert.Contains(hostId, refused.Message);
        Assert.Contains("no workload for t/none", refused.Message);
    }

    [Fact]
    public async Task A_host_whose_agent_is_not_connected_refuses_at_once()
    {
        var hostId = "noagent-" + Guid.NewGuid().ToString("N")[..8];
        var watch = Stopwatch.StartNew();

        var refused = await Assert.ThrowsAsync<CimiException>(() => fixture.Grains.GetGrain<IHostGrain>(hostId).ReadConsole("t/m", 100));

        Assert.Equal(CimiErrorKind.Unavailable, refused.Kind);
        Assert.Contains("not connected", refused.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"refusing took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_silent_agent_console_read_is_given_up_within_the_bound_while_the_host_answers_other_calls()
    {
        var (host, _) = await ConnectAsync(new SilentConsoleAgent(takesRequests: true));
        var watch = Stopwatch.StartNew();

        var reading = host.ReadConsole("t/m", 100);
        // Interleaved: the host grain is not held by the read that waits.
        Assert.NotNull(await host.GetInfo().WaitAsync(TimeSpan.FromSeconds(2)));
        var refused = await Assert.ThrowsAsync<CimiException>(() => reading.WaitAsync(Bound + TimeSpan.FromSeconds(5)));

        Assert.Equal(CimiErrorKind.Unavailable, refused.Kind);
        Assert.Contains("did not answer the console request within 5 s", refused.Message);
        Assert.True(watch.Elapsed >= MachineConsole.AnswerTimeout - TimeSpan.FromSeconds(1), $"gave up after {watch.Elapsed}, before {MachineConsole.AnswerTimeout}");
        Assert.True((await host.GetInfo()).Connected, "an agent that does not answer a console read is still connected");
    }

    [Fact]
    public async Task A_session_reference_that_never_takes_the_request_is_given_up_after_the_agent_call_timeout()
    {
        var (host, _) = await ConnectAsync(new SilentConsoleAgent(takesRequests: false));
        var watch = Stopwatch.StartNew();

        var refused = await Assert.ThrowsAsync<CimiException>(() => host.ReadConsole("t/m", 100).WaitAsync(Bound + TimeSpan.FromSeconds(5)));

        Assert.Equal(CimiErrorKind.Unavailable, refused.Kind);
        Assert.Contains("did not take the console request", refused.Message);
        Assert.True(watch.Elapsed < HostGrain.AgentCallTimeout + TimeSpan.FromSeconds(3), $"gave up only after {watch.Elapsed}");
    }

    private async Task<(IHostGrain Host, string HostId)> ConnectAsync(IAgentObserver agent)
    {
        var hostId = "console-" + Guid.NewGuid().ToString("N")[..8];
        var host = fixture.Grains.GetGrain<IHostGrain>(hostId);
        var observer = fixture.Grains.CreateObjectReference<IAgentObserver>(agent);
        var registration = new HostRegistration(hostId, 2, 1024 * 1024, 1024 * 1024, ["test-only"], new Dictionary<string, string>(), "test");
        var session = Guid.NewGuid().ToString("N");
        if (agent is AnsweringAgent answering) answering.Session = session;
        await host.Connect(registration, session, observer);
        return (host, hostId);
    }

    /// <summary>An agent that has a console for every Machine key but <c>t/none</c>; it answers as a session
    /// relays an agent's ConsoleTail, to the host grain.</summary>
    private sealed class AnsweringAgent : IAgentObserver
    {
        public IHostGrain? Host { get; set; }
        public string Session { get; set; } = "";

        public Task Deliver(HostCommand command) => Task.CompletedTask;
        public Task RemoveImage(string imageLocation) => Task.CompletedTask;
        public Task<string> Ping() => Task.FromResult("pong");

        public Task RequestConsole(string requestId, HostedKind kind, string resourceKey, int maxBytes)
        {
            var output = resourceKey == "t/none"
                ? new ConsoleOutput(null, $"no workload for {resourceKey}")
                : new ConsoleOutput($"tail of {resourceKey} ({maxBytes} bytes)", null);
            // After the call returns, as the agent's answer arrives after the request was queued.
            _ = Task.Run(() => Host!.OnConsoleTail(Session, requestId, output));
            return Task.CompletedTask;
        }
    }

    /// <summary>A session that answers pings but never a console read: it takes the request and the agent
    /// never answers, or (a reference nobody serves) it never even takes it.</summary>
    private sealed class SilentConsoleAgent(bool takesRequests) : IAgentObserver
    {
        public Task Deliver(HostCommand command) => Task.CompletedTask;
        public Task RemoveImage(string imageLocation) => Task.CompletedTask;
        public Task<string> Ping() => Task.FromResult("pong");
        public Task RequestConsole(string requestId, HostedKind kind, string resourceKey, int maxBytes) =>
            takesRequests ? Task.CompletedTask : new TaskCompletionSource().Task;
    }
}
