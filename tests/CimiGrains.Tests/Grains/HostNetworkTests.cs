using System.Threading.Channels;
using CimiGrains.Grains.Hosts;
using CimiGrains.Hosts;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// A host grain keeping the Networks' views of it (<see cref="IHostGrain.ApplyNetwork"/>): the newest per Network,
/// sent at once to a connected agent and again at every new session once it reconciled, older ones ignored, a
/// removal dropped once the session took it, and a Network the agent has but the host holds no view of removed.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class HostNetworkTests(GrainClusterFixture fixture)
{
    /// <summary>An agent's session as the host grain sees it: it collects the Network views it is sent.</summary>
    private sealed class NetworkAgent(bool refuse = false) : IAgentObserver
    {
        public Channel<NetworkHostView> Views { get; } = Channel.CreateUnbounded<NetworkHostView>();

        public Task Deliver(HostCommand command) => Task.CompletedTask;

        public Task RemoveImage(string imageLocation) => Task.CompletedTask;

        public Task<string> Ping() => Task.FromResult("pong");

        public Task ApplyNetwork(NetworkHostView view) =>
            refuse ? Task.FromException(new InvalidOperationException("the session is closing")) : Views.Writer.WriteAsync(view).AsTask();

        public async Task<NetworkHostView> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await Views.Reader.ReadAsync(timeout.Token);
        }

        /// <summary>What was sent until now (nothing more is waited for).</summary>
        public List<NetworkHostView> Drain()
        {
            var views = new List<NetworkHostView>();
            while (Views.Reader.TryRead(out var v)) views.Add(v);
            return views;
        }
    }

    private static NetworkHostView View(string network, long version, bool present = true, params NetworkEndpoint[] remotes) =>
        new(network, network.Split('/')[0], 4242, 1450, "PRIVATE", "10.20.0.0/24", null, true, remotes, [], present, version);

    private async Task<(IHostGrain Host, string Session, IAgentObserver Reference)> ConnectAsync(string hostId, NetworkAgent agent)
    {
        var reference = fixture.Cluster.Client.CreateObjectReference<IAgentObserver>(agent);
        var session = Guid.NewGuid().ToString("N");
        var host = fixture.Grains.GetGrain<IHostGrain>(hostId);
        await host.Connect(new HostRegistration(hostId, 2, 1_000_000, 1_000_000, ["test-only"], new Dictionary<string, string>(), "test",
            UnderlayAddress: "192.0.2.7"), session, reference);
        return (host, session, reference);
    }

    private async Task DisconnectAsync((IHostGrain Host, string Session, IAgentObserver Reference) connected)
    {
        await connected.Host.Disconnect(connected.Session, "the test moved on");
        fixture.Cluster.Client.DeleteObjectReference<IAgentObserver>(connected.Reference);
    }

    private static string NewHost() => "net-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task A_view_goes_to_the_connected_agent_at_once_and_an_older_one_is_ignored()
    {
        var hostId = NewHost();
        var agent = new NetworkAgent();
        var connected = await ConnectAsync(hostId, agent);
        var remote = new NetworkEndpoint("other", "192.0.2.8", "52:54:00:00:00:01", ["10.20.0.5/24"]);

        await connected.Host.ApplyNetwork(View("t1/n1", 3, remotes: remote));
        Assert.Equal(View("t1/n1", 3, remotes: remote), await agent.NextAsync(), ViewComparer.Instance);
        await connected.Host.ApplyNetwork(View("t1/n1", 2));

        Assert.Equal("192.0.2.7", await connected.Host.GetUnderlayAddress());
        var kept = Assert.Single(await connected.Host.GetNetworks());
        Assert.Equal(3, kept.Version);
        Assert.Equal(["192.0.2.8"], kept.RemoteEndpoints.Select(e => e.UnderlayAddress));
        // The older view was never sent: a newer one is the next thing the agent gets.
        await connected.Host.ApplyNetwork(View("t1/n1", 4));
        Assert.Equal(4, (await agent.NextAsync()).Version);
        await DisconnectAsync(connected);
    }

    [Fact]
    public async Task Every_kept_view_is_sent_again_at_a_new_session_once_it_reconciled()
    {
        var hostId = NewHost();
        var first = new NetworkAgent(refuse: true);
        var connected = await ConnectAsync(hostId, first);
        // The session does not take them (it is closing): the host keeps them all the same.
        await connected.Host.ApplyNetwork(View("t2/a", 1));
        await connected.Host.ApplyNetwork(View("t2/b", 7));
        await DisconnectAsync(connected);
        // While no agent is connected too.
        await fixture.Grains.GetGrain<IHostGrain>(hostId).ApplyNetwork(View("t2/c", 2));

        var second = new NetworkAgent();
        var again = await ConnectAsync(hostId, second);
        Assert.Empty(second.Drain());
        await again.Host.Reconciled(again.Session);

        var sent = new[] { await second.NextAsync(), await second.NextAsync(), await second.NextAsync() };
        Assert.Equal(["t2/a@1", "t2/b@7", "t2/c@2"], sent.Select(v => $"{v.NetworkKey}@{v.Version}").Order(StringComparer.Ordinal));
        // A Reconciled of a session that is not the host's is ignored.
        await again.Host.Reconciled("not-the-session");
        await Task.Delay(200);
        Assert.Empty(second.Drain());
        await DisconnectAsync(again);
    }

    [Fact]
    public async Task A_removal_is_dropped_once_the_session_took_it_but_kept_while_no_agent_took_it()
    {
        var hostId = NewHost();
        var host = fixture.Grains.GetGrain<IHostGrain>(hostId);
        await host.ApplyNetwork(View("t3/gone", 1));
        // No agent is connected: the removal waits for one.
        await host.ApplyNetwork(View("t3/gone", 2, present: false));
        Assert.False(Assert.Single(await host.GetNetworks()).Present);

        var agent = new NetworkAgent();
        var connected = await ConnectAsync(hostId, agent);
        await connected.Host.Reconciled(connected.Session);
        var removal = await agent.NextAsync();
        Assert.False(removal.Present);
        Assert.Equal(2, removal.Version);
        await Eventually.Until(() => host.GetNetworks(), v => v.Count == 0, "the removal to be forgotten once sent");

        // Sent while connected: forgotten at once, and a later session is not sent it again.
        await host.ApplyNetwork(View("t3/other", 1));
        await host.ApplyNetwork(View("t3/other", 5, present: false));
        var added = await agent.NextAsync();
        var removed = await agent.NextAsync();
        Assert.Equal((1L, 5L), (added.Version, removed.Version));
        await Eventually.Until(() => host.GetNetworks(), v => v.Count == 0, "the second removal to be forgotten");
        // An older view of a removed Network is still ignored.
        await host.ApplyNetwork(View("t3/other", 4));
        Assert.Empty(await host.GetNetworks());

        // The agent still lists the removed Network (it went away before applying the removal): the removal goes again
        // at the Network's own version, so a later view of it is not stale there.
        await connected.Host.ReconcileNetworks(connected.Session, ["t3/other"]);
        var again = await agent.NextAsync();
        Assert.Equal(("t3/other", false, 5L), (again.NetworkKey, again.Present, again.Version));
        // Once an inventory no longer lists it, nothing of it is kept; a Network the host never knew is removed at any version.
        await connected.Host.ReconcileNetworks(connected.Session, []);
        await connected.Host.ReconcileNetworks(connected.Session, ["t3/other"]);
        Assert.Equal(HostGrain.UnknownNetworkRemovalVersion, (await agent.NextAsync()).Version);
        // And a new view of it is taken.
        await host.ApplyNetwork(View("t3/other", 6));
        Assert.Equal(6, (await agent.NextAsync()).Version);
        await DisconnectAsync(connected);
    }

    [Fact]
    public async Task A_network_the_agent_has_but_the_host_holds_no_view_of_is_answered_with_its_removal()
    {
        var hostId = NewHost();
        var agent = new NetworkAgent();
        var connected = await ConnectAsync(hostId, agent);
        await connected.Host.ApplyNetwork(View("t4/kept", 1));
        Assert.Equal(1, (await agent.NextAsync()).Version);

        await connected.Host.ReconcileNetworks(connected.Session, ["t4/kept", "t4/stale"]);

        var removal = await agent.NextAsync();
        Assert.Equal("t4/stale", removal.NetworkKey);
        Assert.Equal("t4", removal.TenantId);
        Assert.False(removal.Present);
        Assert.Equal(HostGrain.UnknownNetworkRemovalVersion, removal.Version);
        await Task.Delay(200);
        Assert.Empty(agent.Drain());
        // Another session's inventory is not this one's to answer.
        await connected.Host.ReconcileNetworks("old-session", ["t4/stale2"]);
        await Task.Delay(200);
        Assert.Empty(agent.Drain());
        Assert.Equal(["t4/kept"], (await connected.Host.GetNetworks()).Select(v => v.NetworkKey));
        await DisconnectAsync(connected);
    }

    /// <summary>Views hold lists, which records compare by reference.</summary>
    private sealed class ViewComparer : IEqualityComparer<NetworkHostView>
    {
        public static readonly ViewComparer Instance = new();

        public bool Equals(NetworkHostView? x, NetworkHostView? y) =>
            x is not null && y is not null && Key(x) == Key(y);

        public int GetHashCode(NetworkHostView obj) => Key(obj).GetHashCode(StringComparison.Ordinal);

        private static string Key(NetworkHostView v) =>
            $"{v with { RemoteEndpoints = [], RoutedSubnets = [] }}|{string.Join(",", v.RemoteEndpoints.Select(e => $"{e.HostId} {e.UnderlayAddress} {e.Mac} {string.Join(" ", e.Addresses)}"))}|{string.Join(",", v.RoutedSubnets)}";
    }
}
