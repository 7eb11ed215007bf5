using CimiGrains.Grains.Networks;
using CimiGrains.Hosts;
using CimiGrains.Networks;
using static CimiGrains.Tests.Grains.Networks.NetworkFixtures;

namespace CimiGrains.Tests.Grains.Networks;

/// <summary>The Network grain's create, start, stop and delete, what it refuses, and the views its hosts get.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class NetworkGrainTests(GrainClusterFixture fixture)
{
    private INetworkGrain Network(string tenant, string id) => fixture.Grains.GetGrain<INetworkGrain>(GrainKeys.Of(tenant, id));

    [Fact]
    public async Task A_Network_is_STARTED_with_its_subnet_and_a_VNI_no_other_Network_has()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var one = await Network(tenant, "a").Create(ByValue("10.42.0.0/24", mtu: 9000, type: "PUBLIC"));
        var two = await Network(GrainClusterFixture.NewTenant(), "b").Create(ByValue(subnet: null));

        Assert.Equal((NetworkStateName.STARTED, "PUBLIC", 9000, "10.42.0.0/24"), (one.State, one.NetworkType, one.Mtu, one.Subnet));
        // PUBLIC: routed, so its gateway is its subnet's first address.
        Assert.Equal("10.42.0.1", one.Gateway);
        Assert.Equal(("PRIVATE", 1450, "10.1.0.0/24"), (two.NetworkType, two.Mtu, two.Subnet));
        Assert.Null(two.Gateway);
        Assert.NotEqual(one.Vni, two.Vni);
        Assert.InRange(one.Vni!.Value, 4096, 16777215);
        Assert.Equal("networks/a/networkPorts", one.NetworkPorts!.Href);
        Assert.Contains(one.Operations!, o => o.Rel == CimiUris.Action("stop"));
    }

    [Fact]
    public async Task A_tenants_Networks_without_a_subnet_get_ones_that_do_not_overlap()
    {
        var tenant = GrainClusterFixture.NewTenant();
        await Network(tenant, "named").Create(ByValue("10.1.0.0/16"));
        var first = await Network(tenant, "x").Create(ByValue(subnet: null));
        var second = await Network(tenant, "y").Create(ByValue(subnet: null));

        Assert.Equal(("10.2.0.0/24", "10.2.1.0/24"), (first.Subnet, second.Subnet));
    }

    public static TheoryData<NetworkCreate, string> BadCreates => new()
    {
        { ByValue(mtu: 575), "'mtu'" },
        { ByValue(mtu: 9001), "'mtu'" },
        { ByValue("10.42.0.0"), "'subnet' '10.42.0.0' is not an IPv4 CIDR" },
        { ByValue("10.42.0.0/33"), "not an IPv4 CIDR" },
        { ByValue("10.0.0.0/8"), "/8 prefix" },
        { ByValue("10.42.0.0/30"), "/30 prefix" },
        { ByValue("10.42.0.5/24"), "did you mean 10.42.0.0/24" },
        { ByValue(type: "SECRET"), "'networkType'" },
        { ByValue(initialState: "RUNNING"), "'initialState'" },
        { new NetworkCreate { Name = "none" }, "'networkTemplate'" },
        { new NetworkCreate { NetworkTemplate = new NetworkTemplate() }, "no 'networkConfig'" },
    };

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task Bad_input_is_refused_naming_the_attribute_and_nothing_is_stored(NetworkCreate create, string says)
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = Network(tenant, "bad");

        var refused = await Assert.ThrowsAsync<CimiException>(() => network.Create(create));

        Assert.Equal(CimiErrorKind.Invalid, refused.Kind);
        Assert.Contains(says, refused.Message);
        Assert.Null(await network.GetInternal());
        Assert.Empty(await fixture.Grains.GetGrain<ITenantSubnetsGrain>(tenant).All());
    }

    [Fact]
    public async Task Stop_and_start_move_the_Network_and_its_ports_and_refuse_the_wrong_state()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = Network(tenant, "n");
        Assert.Equal(NetworkStateName.STOPPED, (await network.Create(ByValue(initialState: "STOPPED"))).State);
        var lease = await network.Lease(Machine(tenant, "m1"), "eth0", Dynamic);

        Assert.Equal(CimiErrorKind.Conflict, (await Assert.ThrowsAsync<CimiException>(() => network.Stop())).Kind);
        Assert.Equal(NetworkStateName.STARTED, (await network.Start()).State);
        Assert.Equal(NetworkStateName.STARTED, (await fixture.Grains.GetGrain<INetworkPortGrain>(lease.NetworkPortKey).Get()).State);
        Assert.Equal(NetworkStateName.STOPPED, (await network.Stop()).State);
        Assert.Equal(NetworkStateName.STOPPED, (await fixture.Grains.GetGrain<INetworkPortGrain>(lease.NetworkPortKey).Get()).State);
        Assert.Contains("'stop' is not allowed", (await Assert.ThrowsAsync<CimiException>(() => network.Stop())).Message);
    }

    [Fact]
    public async Task Delete_releases_the_VNI_and_the_subnet()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = Network(tenant, "gone");
        await network.Create(ByValue("10.9.0.0/24"));
        await network.Delete();

        Assert.Null(await network.GetInternal());
        Assert.Empty(await fixture.Grains.GetGrain<ITenantSubnetsGrain>(tenant).All());
        // The same key may be made again and gets a subnet and VNI anew.
        Assert.Equal("10.9.0.0/24", (await network.Create(ByValue("10.9.0.0/24"))).Subnet);
    }

    [Fact]
    public void Each_host_is_told_of_the_ports_on_the_other_hosts_only()
    {
        static NetworkLease On(string host, string mac, string address) =>
            new("t/m-" + mac, "eth0", 2, false, "a-" + mac, "p-" + mac, host,
                new NetworkInterfaceLease("t/n", mac, [address], [], null, [], 1450, "PRIVATE", 5000, "t/p-" + mac));
        var network = new NetworkHostView("t/n", "t", 5000, 1450, "PRIVATE", "10.42.0.0/24", null, Started: false, [], ["10.43.0.0/24"], false, 7);

        var views = NetworkHostViews.Compute(network,
        [
            ("host-a", "192.0.2.1", [On("host-a", "02:00:00:00:00:02", "10.42.0.2/24")]),
            ("host-b", "192.0.2.2", [On("host-b", "02:00:00:00:00:03", "10.42.0.3/24"), On("host-b", "02:00:00:00:00:04", "10.42.0.4/24")]),
            ("host-c", null, [On("host-c", "02:00:00:00:00:05", "10.42.0.5/24")]),
        ]);

        Assert.Equal(["host-a", "host-b", "host-c"], views.Keys.Order());
        Assert.All(views.Values, v => Assert.True(v.Present && !v.Started && v.Version == 7 && v.RoutedSubnets.SequenceEqual(["10.43.0.0/24"])));
        Assert.Equal([("host-b", "192.0.2.2", "02:00:00:00:00:03"), ("host-b", "192.0.2.2", "02:00:00:00:00:04")],
            views["host-a"].RemoteEndpoints.Select(e => (e.HostId, e.UnderlayAddress, e.Mac)));
        Assert.Equal(["02:00:00:00:00:02"], views["host-b"].RemoteEndpoints.Select(e => e.Mac));
        // host-c registered no underlay: the others cannot reach its ports, but it still reaches theirs.
        Assert.Equal(3, views["host-c"].RemoteEndpoints.Count);
    }

    [Fact]
    public void MACs_are_locally_administered_and_carry_the_VNI_and_the_offset()
    {
        Assert.Equal("02:00:10:00:00:02", NetworkGrain.MacOf(4096, 2));
        Assert.Equal("02:ff:ff:ff:ff:fe", NetworkGrain.MacOf(16777215, 65534));
    }
}
