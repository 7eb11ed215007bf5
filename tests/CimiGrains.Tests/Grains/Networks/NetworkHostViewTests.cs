using CimiGrains.Hosts;
using CimiGrains.Networks;
using static CimiGrains.Tests.Grains.Networks.NetworkFixtures;

namespace CimiGrains.Tests.Grains.Networks;

/// <summary>What the hosts of a Network are told after each change, and that a host that could not be told is told later.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class NetworkHostViewTests(GrainClusterFixture fixture)
{
    private static Task<NetworkHostView> Eventually(string hostId, string networkKey, Func<NetworkHostView, bool> done, string what) =>
        Infrastructure.Eventually.Until(() => Task.FromResult(HostNetworkViews.Latest(hostId, networkKey)!), v => v is not null && done(v), what);

    [Fact]
    public async Task Each_host_with_a_port_learns_of_the_others_and_of_every_change()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var (a, b) = ("ha-" + tenant, "hb-" + tenant);
        HostNetworkViews.Capture(a, "192.0.2.1");
        HostNetworkViews.Capture(b, "192.0.2.2");
        var network = await CreatedAsync(fixture, tenant, "n", "10.44.0.0/24");
        var key = GrainKeys.Of(tenant, "n");
        var one = await network.Lease(Machine(tenant, "m1"), "eth0", Dynamic);
        var two = await network.Lease(Machine(tenant, "m2"), "eth0", Dynamic);

        await network.Bind(Machine(tenant, "m1"), "eth0", a);
        await network.Bind(Machine(tenant, "m2"), "eth0", b);

        var onA = await Eventually(a, key, v => v.RemoteEndpoints.Count == 1, "host a to learn of the port on host b");
        Assert.Equal((true, true, "10.44.0.0/24", 1450), (onA.Present, onA.Started, onA.Subnet, onA.Mtu));
        Assert.Equal(new NetworkEndpoint(b, "192.0.2.2", two.Mac, two.Addresses), onA.RemoteEndpoints[0], new EndpointComparer());
        var onB = await Eventually(b, key, v => v.RemoteEndpoints.Count == 1, "host b to learn of the port on host a");
        Assert.Equal((a, "192.0.2.1", one.Mac), (onB.RemoteEndpoints[0].HostId, onB.RemoteEndpoints[0].UnderlayAddress, onB.RemoteEndpoints[0].Mac));

        await network.Stop();
        var stopped = await Eventually(a, key, v => !v.Started, "host a to hear the Network stopped");
        Assert.True(stopped.Version > onA.Version);
        await Eventually(b, key, v => !v.Started, "host b to hear the Network stopped");

        await network.Release(Machine(tenant, "m2"), "eth0");
        var gone = await Eventually(b, key, v => !v.Present, "host b, which lost its last port, to be told the Network is not there");
        Assert.Empty(gone.RemoteEndpoints);
        await Eventually(a, key, v => v.RemoteEndpoints.Count == 0 && v.Version >= gone.Version, "host a to forget the port on host b");
        // The versions each host saw only grew.
        var versions = HostNetworkViews.Views(a).Where(v => v.NetworkKey == key).Select(v => v.Version).ToList();
        Assert.Equal(versions.Order(), versions);
    }

    [Fact]
    public async Task A_host_that_could_not_be_told_is_told_again()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var host = "hr-" + tenant;
        HostNetworkViews.Capture(host, "192.0.2.9");
        var network = await CreatedAsync(fixture, tenant, "n", "10.45.0.0/24");
        var key = GrainKeys.Of(tenant, "n");
        await network.Lease(Machine(tenant, "m1"), "eth0", Dynamic);
        HostNetworkViews.Refuse(host, true);

        await network.Bind(Machine(tenant, "m1"), "eth0", host);
        await network.Stop();
        Assert.Null(HostNetworkViews.Latest(host, key));
        HostNetworkViews.Refuse(host, false);

        var view = await Eventually(host, key, v => v.Present && !v.Started, "the refused view to be sent again");
        Assert.True(view.Version >= 2);
    }

    private sealed class EndpointComparer : IEqualityComparer<NetworkEndpoint>
    {
        public bool Equals(NetworkEndpoint? x, NetworkEndpoint? y) =>
            x is not null && y is not null && (x.HostId, x.UnderlayAddress, x.Mac) == (y.HostId, y.UnderlayAddress, y.Mac) && x.Addresses.SequenceEqual(y.Addresses);

        public int GetHashCode(NetworkEndpoint obj) => obj.Mac.GetHashCode();
    }
}
