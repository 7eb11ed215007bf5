using CimiGrains.Hosts;
using CimiGrains.Systems;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// The scheduler's placement groups (a System's Machines): three hosts of a driver no other test offers, the
/// first one with four times the room of the others, so that placing by load alone would pile onto it.
/// spread puts the group's Machines on the host with the fewest of them, pack on the one with the most while
/// they fit, pin on the host of the first one and nowhere else.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class SystemPlacementTests(GrainClusterFixture fixture)
{
    private async Task<(string Driver, string[] Hosts)> HostsAsync()
    {
        var driver = "placement-" + Guid.NewGuid().ToString("N")[..8];
        var hosts = new[] { $"{driver}-a-big", $"{driver}-b", $"{driver}-c" };
        var scheduler = fixture.Grains.GetGrain<IHostSchedulerGrain>(0);
        for (var i = 0; i < hosts.Length; i++)
        {
            var cpu = i == 0 ? 32 : 8;
            await scheduler.UpdateHost(new HostInfo(hosts[i], Connected: true, cpu, cpu * 1024L * 1024, [driver], new Dictionary<string, string>(),
                CpuAllocationRatio: 1, MemoryAllocationRatio: 1));
        }
        return (driver, hosts);
    }

    private async Task<List<string?>> PlaceAsync(string driver, string policy, int count, string tenant)
    {
        var group = SystemComponents.PlacementGroupOf(GrainKeys.Of(tenant, "sys"));
        var placed = new List<string?>();
        for (var i = 0; i < count; i++)
        {
            var placement = await fixture.Grains.GetGrain<IHostSchedulerGrain>(0).Place(new PlacementRequest(
                $"{group}0-{i}", Cpu: 2, MemoryKiB: 1024 * 1024, driver, PlacementGroup: group, PlacementPolicy: policy));
            placed.Add(placement.HostId ?? placement.Reason);
        }
        return placed;
    }

    [Fact]
    public async Task Spread_puts_a_Systems_Machines_on_the_hosts_with_the_fewest_of_them()
    {
        var (driver, hosts) = await HostsAsync();
        var placed = await PlaceAsync(driver, SystemPlacement.Spread, 6, GrainClusterFixture.NewTenant());
        Assert.All(hosts, h => Assert.Equal(2, placed.Count(p => p == h)));
    }

    [Fact]
    public async Task Pack_fills_one_host_before_the_next()
    {
        var (driver, hosts) = await HostsAsync();
        var placed = await PlaceAsync(driver, SystemPlacement.Pack, 6, GrainClusterFixture.NewTenant());
        // The big host (the most room, so the first) takes all six: 12 of its 32 CPUs.
        Assert.All(placed, p => Assert.Equal(hosts[0], p));
    }

    [Fact]
    public async Task Pin_keeps_every_Machine_on_the_first_ones_host_and_refuses_one_that_does_not_fit_there()
    {
        var (driver, hosts) = await HostsAsync();
        var placed = await PlaceAsync(driver, SystemPlacement.Pin, 17, GrainClusterFixture.NewTenant());
        Assert.All(placed.Take(16), p => Assert.Equal(hosts[0], p));
        Assert.Contains("pinned to host", placed[16]);
    }

    [Fact]
    public async Task A_Machine_pinned_by_its_Volumes_goes_to_their_host_whatever_the_policy_or_fails_saying_so()
    {
        var (driver, hosts) = await HostsAsync();
        var group = SystemComponents.PlacementGroupOf(GrainKeys.Of(GrainClusterFixture.NewTenant(), "sys"));
        var scheduler = fixture.Grains.GetGrain<IHostSchedulerGrain>(0);
        foreach (var i in Enumerable.Range(0, 3))
        {
            var placed = await scheduler.Place(new PlacementRequest($"{group}0-{i}", 2, 1024 * 1024, driver, RequiredHostId: hosts[2],
                PlacementGroup: group, PlacementPolicy: SystemPlacement.Spread));
            Assert.Equal(hosts[2], placed.HostId);
        }
        var nowhere = await scheduler.Place(new PlacementRequest($"{group}1-0", 2, 1024 * 1024, driver, RequiredHostId: "no-such-host"));
        Assert.Null(nowhere.HostId);
        Assert.Contains("Volumes are on host 'no-such-host'", nowhere.Reason);
    }
}
