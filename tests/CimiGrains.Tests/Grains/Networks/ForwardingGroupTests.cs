using CimiGrains.Networks;
using static CimiGrains.Tests.Grains.Networks.NetworkFixtures;

namespace CimiGrains.Tests.Grains.Networks;

/// <summary>ForwardingGroups: who may join, what the members learn, and what deleting either side does.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class ForwardingGroupTests(GrainClusterFixture fixture)
{
    private IForwardingGroupGrain Group(string tenant, string id) => fixture.Grains.GetGrain<IForwardingGroupGrain>(GrainKeys.Of(tenant, id));

    private static ForwardingGroupCreate Of(params string[] networkIds) => new()
    {
        Name = "fg",
        ForwardingGroupTemplate = new ForwardingGroupTemplate { Networks = [.. networkIds.Select(id => new ResourceRef($"networks/{id}"))] },
    };

    private static Task<Network> Joined(INetworkGrain network, bool joined) =>
        Eventually.Until(() => network.Get(), n => (n.ForwardingGroup is not null) == joined, joined ? "the Network to join" : "the Network to leave");

    [Fact]
    public async Task Members_are_routed_to_each_other_and_get_their_gateway()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var a = await CreatedAsync(fixture, tenant, "a", "10.10.0.0/24");
        var b = await CreatedAsync(fixture, tenant, "b", "10.20.0.0/24");

        var group = await Group(tenant, "fg").Create(Of("a", "b"));

        Assert.Equal(["networks/a", "networks/b"], group.Networks!.Select(n => n.Href));
        var joined = await Joined(a, true);
        Assert.Equal(("forwardingGroups/fg", "10.10.0.1"), (joined.ForwardingGroup!.Href, joined.Gateway));
        var lease = await a.Lease(Machine(tenant, "m1"), "eth0", Dynamic);
        Assert.Equal("10.10.0.1", lease.Gateway);
        Assert.Equal("10.10.0.1", (await fixture.Grains.GetGrain<IAddressGrain>(lease.AddressKeys[0]).Get()).DefaultGateway);
        await Joined(b, true);

        // A third Network joins by naming the group in its template.
        var c = fixture.Grains.GetGrain<INetworkGrain>(GrainKeys.Of(tenant, "c"));
        var created = await c.Create(new NetworkCreate
        {
            NetworkTemplate = new NetworkTemplate
            {
                NetworkConfig = new NetworkConfiguration { Subnet = "10.30.0.0/24" }, ForwardingGroup = new ResourceRef("forwardingGroups/fg"),
            },
        });
        Assert.Equal(("forwardingGroups/fg", "10.30.0.1"), (created.ForwardingGroup!.Href, created.Gateway));
        Assert.Equal(["networks/a", "networks/b", "networks/c"], (await Group(tenant, "fg").Get()).Networks!.Select(n => n.Href));
    }

    [Fact]
    public async Task Overlapping_subnets_are_refused_naming_both_and_nothing_is_kept()
    {
        var tenant = GrainClusterFixture.NewTenant();
        await CreatedAsync(fixture, tenant, "a", "10.10.0.0/16");
        await CreatedAsync(fixture, tenant, "b", "10.10.5.0/24");
        await CreatedAsync(fixture, tenant, "c", "10.11.0.0/24");

        var refused = await Assert.ThrowsAsync<CimiException>(() => Group(tenant, "bad").Create(Of("a", "b")));
        Assert.Equal(CimiErrorKind.Conflict, refused.Kind);
        Assert.Contains("'networks/a' (10.10.0.0/16)", refused.Message);
        Assert.Contains("'networks/b' (10.10.5.0/24)", refused.Message);
        Assert.Null(await Group(tenant, "bad").GetInternal());

        await Group(tenant, "fg").Create(Of("a", "c"));
        var d = fixture.Grains.GetGrain<INetworkGrain>(GrainKeys.Of(tenant, "d"));
        var joining = await Assert.ThrowsAsync<CimiException>(() => d.Create(new NetworkCreate
        {
            NetworkTemplate = new NetworkTemplate
            {
                NetworkConfig = new NetworkConfiguration { Subnet = "10.11.0.128/25" }, ForwardingGroup = new ResourceRef("forwardingGroups/fg"),
            },
        }));
        Assert.Equal(CimiErrorKind.Conflict, joining.Kind);
        Assert.Contains("'networks/c' (10.11.0.0/24)", joining.Message);
        Assert.Null(await d.GetInternal());
        Assert.DoesNotContain(GrainKeys.Of(tenant, "d"), (await fixture.Grains.GetGrain<ITenantSubnetsGrain>(tenant).All()).Keys);
    }

    [Fact]
    public async Task Another_tenants_Network_is_no_member_and_one_in_a_group_joins_no_other()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var other = GrainClusterFixture.NewTenant();
        await CreatedAsync(fixture, other, "theirs", "10.10.0.0/24");
        var a = await CreatedAsync(fixture, tenant, "a", "10.20.0.0/24");

        var foreign = await Assert.ThrowsAsync<CimiException>(() => Group(tenant, "fg").Create(Of("theirs")));
        Assert.Equal(CimiErrorKind.NotFound, foreign.Kind);
        Assert.Contains("does not exist", foreign.Message);

        await Group(tenant, "fg").Create(Of("a"));
        await Joined(a, true);
        var second = await Assert.ThrowsAsync<CimiException>(() => Group(tenant, "fg2").Create(Of("a")));
        Assert.Contains("is in ForwardingGroup 'forwardingGroups/fg' already", second.Message);
    }

    [Fact]
    public async Task Deleting_a_group_unjoins_its_Networks_and_deleting_a_Network_leaves_its_group()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var a = await CreatedAsync(fixture, tenant, "a", "10.10.0.0/24");
        var b = await CreatedAsync(fixture, tenant, "b", "10.20.0.0/24");
        await Group(tenant, "fg").Create(Of("a", "b"));
        await Joined(a, true);
        await Joined(b, true);
        var lease = await a.Lease(Machine(tenant, "m1"), "eth0", Dynamic);

        await b.Delete();
        Assert.Equal(["networks/a"], (await Group(tenant, "fg").Get()).Networks!.Select(n => n.Href));

        await Group(tenant, "fg").Delete();
        var left = await Joined(a, false);
        Assert.Null(left.Gateway);
        await Eventually.Until(() => fixture.Grains.GetGrain<IAddressGrain>(lease.AddressKeys[0]).Get(), x => x.DefaultGateway is null,
            "the lease's Address to lose its default gateway");
    }
}
