using CimiGrains.Networks;
using static CimiGrains.Tests.Grains.Networks.NetworkFixtures;

namespace CimiGrains.Tests.Grains.Networks;

/// <summary>INetworkInterfaceLeases on the Network grain: what it hands out, what it refuses, and that nothing is handed out twice.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class NetworkLeaseTests(GrainClusterFixture fixture)
{
    private IAddressGrain Address(string key) => fixture.Grains.GetGrain<IAddressGrain>(key);

    private INetworkPortGrain Port(string key) => fixture.Grains.GetGrain<INetworkPortGrain>(key);

    [Fact]
    public async Task A_lease_gets_the_lowest_free_address_a_local_MAC_and_its_Address_and_NetworkPort()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = await CreatedAsync(fixture, tenant, "n1");
        var vni = (await network.Get()).Vni!.Value;

        var lease = await network.Lease(Machine(tenant, "m1"), "eth0", Dynamic);

        Assert.Equal(GrainKeys.Of(tenant, "n1"), lease.NetworkKey);
        Assert.Equal(["10.42.0.2/24"], lease.Addresses);
        Assert.Equal((1450, "PRIVATE", (uint)vni), (lease.Mtu, lease.NetworkType, lease.Vni));
        // PRIVATE and in no ForwardingGroup: no default route.
        Assert.Null(lease.Gateway);
        var firstOctet = Convert.ToByte(lease.Mac[..2], 16);
        Assert.Equal(0x02, firstOctet & 0x03); // locally administered, unicast
        Assert.Matches("^([0-9a-f]{2}:){5}[0-9a-f]{2}$", lease.Mac);

        var address = await Address(Assert.Single(lease.AddressKeys)).Get();
        Assert.Equal(("10.42.0.2", "255.255.255.0", "dynamic", "IPv4"), (address.Ip, address.Mask, address.Allocation, address.Protocol));
        Assert.Equal(("networks/n1", "machines/m1"), (address.Network!.Href, address.Resource!.Href));
        var port = await Port(lease.NetworkPortKey).Get();
        Assert.Equal((NetworkStateName.STARTED, "networks/n1", "machines/m1"), (port.State, port.Network!.Href, port.Resource!.Href));
        Assert.Contains(GrainKeys.Split(lease.NetworkPortKey).LocalId, await network.GetPortIds());

        var second = await network.Lease(Machine(tenant, "m2"), "eth0", Dynamic);
        Assert.Equal(["10.42.0.3/24"], second.Addresses);
        Assert.NotEqual(lease.Mac, second.Mac);
    }

    [Fact]
    public async Task A_repeated_lease_gets_the_same_answer()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = await CreatedAsync(fixture, tenant, "n1");
        var first = await network.Lease(Machine(tenant, "m1"), "eth0", Dynamic);

        var again = await network.Lease(Machine(tenant, "m1"), "eth0", Dynamic);
        var otherInterface = await network.Lease(Machine(tenant, "m1"), "eth1", Dynamic);

        Assert.Equal((first.Mac, first.NetworkPortKey), (again.Mac, again.NetworkPortKey));
        Assert.Equal(first.Addresses, again.Addresses);
        Assert.Equal(first.AddressKeys, again.AddressKeys);
        Assert.NotEqual(first.Addresses, otherInterface.Addresses);
    }

    [Fact]
    public async Task A_static_address_is_granted_when_free_and_refused_when_outside_malformed_reserved_or_taken()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = await CreatedAsync(fixture, tenant, "n1");

        var granted = await network.Lease(Machine(tenant, "m1"), "eth0", Static("10.42.0.77"));
        Assert.Equal(["10.42.0.77/24"], granted.Addresses);
        Assert.Equal("static", (await Address(granted.AddressKeys[0]).Get()).Allocation);

        foreach (var (address, says) in new[]
        {
            ("10.43.0.5", "outside the Network's subnet 10.42.0.0/24"), ("10.42.0", "is not an IPv4 address"), ("10.42.0.300", "is not an IPv4 address"),
            ("10.42.0.0", "network address"), ("10.42.0.1", "gateway"), ("10.42.0.255", "broadcast address"),
        })
        {
            var refused = await Assert.ThrowsAsync<CimiException>(() => network.Lease(Machine(tenant, "m2"), "eth0", Static(address)));
            Assert.Equal(CimiErrorKind.Invalid, refused.Kind);
            Assert.Contains(says, refused.Message);
        }
        var taken = await Assert.ThrowsAsync<CimiException>(() => network.Lease(Machine(tenant, "m2"), "eth0", Static("10.42.0.77")));
        Assert.Equal(CimiErrorKind.Conflict, taken.Kind);
        Assert.Contains("taken by Machine 'machines/m1'", taken.Message);
        // None of the refusals left a lease behind: m2 still gets the lowest free address.
        Assert.Equal(["10.42.0.2/24"], (await network.Lease(Machine(tenant, "m2"), "eth0", Dynamic)).Addresses);
    }

    [Fact]
    public async Task A_full_Network_says_so_naming_itself_and_a_release_makes_room()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = await CreatedAsync(fixture, tenant, "small", "192.168.7.0/29");
        var leases = new List<NetworkInterfaceLease>();
        for (var i = 0; i < 5; i++) leases.Add(await network.Lease(Machine(tenant, $"m{i}"), "eth0", Dynamic));
        Assert.Equal(Enumerable.Range(2, 5).Select(o => $"192.168.7.{o}/29"), leases.Select(l => l.Addresses[0]));

        var full = await Assert.ThrowsAsync<CimiException>(() => network.Lease(Machine(tenant, "m9"), "eth0", Dynamic));
        Assert.Equal(CimiErrorKind.Conflict, full.Kind);
        Assert.Contains("Network 'networks/small' has no free address", full.Message);

        await network.Release(Machine(tenant, "m2"), "eth0");
        Assert.Null(await Address(leases[2].AddressKeys[0]).GetInternal());
        Assert.Null(await Port(leases[2].NetworkPortKey).GetInternal());
        Assert.Equal(["192.168.7.4/29"], (await network.Lease(Machine(tenant, "m9"), "eth0", Dynamic)).Addresses);
        // Releasing what is not leased is done already.
        await network.Release(Machine(tenant, "nobody"), "eth0");
    }

    [Fact]
    public async Task Concurrent_leases_never_share_an_address_or_a_MAC()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = await CreatedAsync(fixture, tenant, "busy", "10.50.0.0/24");

        var leases = await Task.WhenAll(Enumerable.Range(0, 120).Select(i => network.Lease(Machine(tenant, $"m{i % 40}"), $"eth{i / 40}", Dynamic)));
        // Repeats racing the first calls get the first answers.
        var repeats = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => network.Lease(Machine(tenant, $"m{i}"), "eth0", Dynamic)));

        Assert.Equal(120, leases.Select(l => l.Addresses[0]).Distinct().Count());
        Assert.Equal(120, leases.Select(l => l.Mac).Distinct().Count());
        Assert.Equal(120, leases.Select(l => l.NetworkPortKey).Distinct().Count());
        Assert.Equal(leases.Take(40).Select(l => l.Addresses[0]), repeats.Select(l => l.Addresses[0]));
    }

    [Fact]
    public async Task Another_tenants_Machine_finds_no_Network_and_an_unknown_Network_is_not_found()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = await CreatedAsync(fixture, tenant, "n1");

        var foreign = await Assert.ThrowsAsync<CimiException>(() => network.Lease(Machine(GrainClusterFixture.NewTenant(), "m1"), "eth0", Dynamic));
        Assert.Equal(CimiErrorKind.NotFound, foreign.Kind);
        var missing = fixture.Grains.GetGrain<INetworkGrain>(GrainKeys.Of(tenant, "nothing"));
        Assert.Equal(CimiErrorKind.NotFound, (await Assert.ThrowsAsync<CimiException>(() => missing.Lease(Machine(tenant, "m1"), "eth0", Dynamic))).Kind);
    }

    [Fact]
    public async Task Bind_needs_a_lease_and_succeeds_while_the_hosts_cannot_be_told_yet()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var network = await CreatedAsync(fixture, tenant, "n1");
        var unknown = await Assert.ThrowsAsync<CimiException>(() => network.Bind(Machine(tenant, "m1"), "eth0", "host-a"));
        Assert.Equal(CimiErrorKind.Conflict, unknown.Kind);

        await network.Lease(Machine(tenant, "m1"), "eth0", Dynamic);
        await network.Bind(Machine(tenant, "m1"), "eth0", "host-a");
        await network.Bind(Machine(tenant, "m1"), "eth0", "host-a");
        await network.Release(Machine(tenant, "m1"), "eth0");
    }

    [Fact]
    public async Task A_lease_whose_Machine_does_not_exist_is_dropped_by_the_Network_s_delete_with_its_Address_and_NetworkPort()
    {
        // A lease whose release was lost (its Machine's create leased, then never stored it, or a crash ate the release):
        // the Machine is the truth about its interfaces, and a Machine that is not stored holds none.
        var tenant = GrainClusterFixture.NewTenant();
        var network = await CreatedAsync(fixture, tenant, "n1");
        var lease = await network.Lease(Machine(tenant, "gone"), "eth0", Dynamic);

        await network.Delete();

        Assert.Null(await network.GetInternal());
        Assert.Null(await Address(lease.AddressKeys[0]).GetInternal());
        Assert.Null(await Port(lease.NetworkPortKey).GetInternal());
    }
}
