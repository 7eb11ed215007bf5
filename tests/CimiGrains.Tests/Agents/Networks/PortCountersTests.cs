extern alias agents;
using agents::CimiGrains.Agents.Meters;
using agents::CimiGrains.Agents.Networks;
using agents::CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// The NetworkPorts' counters on the real kernel: two workloads on one Network of one test host (a namespace of
/// the rig), each interface carrying a NetworkPort; after a ping each way, the plane reports both ports with what
/// their workloads sent and received, seen from the workload (the host end's tx is the workload's rx), and the
/// sampler turns two readings into rates. An interface that names no port is not reported.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PortCountersTests
{
    [Fact]
    public async Task The_plane_reports_each_ports_bytes_and_packets_from_the_workloads_side()
    {
        await using var rig = await PlaneRig.StartAsync(1);
        var host = rig.Hosts[0];
        var vni = NetworkPlaneTests.Vni();
        var blue = NetworkPlaneTests.Network($"net-{rig.Run}-blue", vni);
        await host.Plane.ApplyAsync(blue, default);
        var (w1, w2, w3) = (await rig.WorkloadAsync(), await rig.WorkloadAsync(), await rig.WorkloadAsync());
        var (port1, port2) = ($"tenant-a/p1-{rig.Run}", $"tenant-a/p2-{rig.Run}");
        await host.Plane.PlugContainerAsync(NetworkPlaneTests.Nic($"if-{rig.Run}-1", blue, "02:00:0c:00:00:01", "10.77.0.1/24") with { NetworkPortKey = port1 }, w1, default);
        await host.Plane.PlugContainerAsync(NetworkPlaneTests.Nic($"if-{rig.Run}-2", blue, "02:00:0c:00:00:02", "10.77.0.2/24") with { NetworkPortKey = port2 }, w2, default);
        await host.Plane.PlugContainerAsync(NetworkPlaneTests.Nic($"if-{rig.Run}-3", blue, "02:00:0c:00:00:03", "10.77.0.3/24"), w3, default);
        var sampler = new HostSampler();
        var first = new SampleBatch();
        sampler.AddPorts(first, await host.Plane.ReadPortCountersAsync(default));
        Assert.Empty(first.Ports);

        Assert.True(await PlaneRig.EventuallyPingsAsync(w1, "10.77.0.2"), "workload 1 does not reach workload 2");
        // Asking for an address nobody has: ARP requests out of workload 1 and nothing back, so its port has sent more
        // than it received, which a port counted from the host end's side would show the other way round.
        Assert.False(await PlaneRig.PingsAsync(w1, "10.77.0.99"));
        var counters = (await host.Plane.ReadPortCountersAsync(default)).ToDictionary(c => c.NetworkPortKey);

        Assert.Equal([port1, port2], counters.Keys.Order(StringComparer.Ordinal));
        // What the workloads' own interfaces say, read inside them: the plane's figures are theirs, not the host end's.
        var inside = await PlaneRig.InWorkloadAsync(w1, "-j", "-s", "link", "show", "eth0");
        using var json = System.Text.Json.JsonDocument.Parse(inside);
        var stats = json.RootElement[0].GetProperty("stats64");
        var one = counters[port1].Counters;
        var (tx, rx) = (stats.GetProperty("tx").GetProperty("packets").GetInt64(), stats.GetProperty("rx").GetProperty("packets").GetInt64());
        Assert.True(tx - rx >= 2, $"workload 1 sent {tx} and received {rx} packets: the test's traffic is not one-sided enough");
        Assert.InRange(one.WorkloadTransmittedPackets, tx - 1, tx);
        Assert.InRange(one.WorkloadReceivedPackets, rx - 1, rx);
        Assert.True(one.WorkloadTransmittedBytes >= 3 * 84, $"port 1 transmitted {one.WorkloadTransmittedBytes} bytes after 3 pings");
        Assert.True(counters[port2].Counters.WorkloadReceivedPackets >= 3);

        var second = new SampleBatch();
        sampler.AddPorts(second, [.. counters.Values]);
        var sample = Assert.Single(second.Ports, p => p.PortKey == port1);
        Assert.True(sample.Values["network.packets.transmitted"] > 0, "no packet rate for port 1 after its pings");
        Assert.True(sample.Values["network.transmitted"] > 0);
    }

    [Fact]
    public void The_sampler_gives_rates_each_way_and_none_after_a_counter_went_back()
    {
        var sampler = new HostSampler();
        var t0 = DateTimeOffset.UnixEpoch.AddDays(20000);
        sampler.AddPorts(new SampleBatch(), [new PortCounters("t/p", t0, new LinkCounters(1000, 500, 10, 5))]);
        var batch = new SampleBatch();
        sampler.AddPorts(batch, [new PortCounters("t/p", t0.AddSeconds(2), new LinkCounters(5000, 900, 30, 9))]);
        var values = Assert.Single(batch.Ports).Values;
        Assert.Equal((2000.0, 200.0, 10.0, 2.0), (values["network.received"], values["network.transmitted"],
            values["network.packets.received"], values["network.packets.transmitted"]));

        // The device was made again: its counters start from zero, which is no rate.
        var after = new SampleBatch();
        sampler.AddPorts(after, [new PortCounters("t/p", t0.AddSeconds(3), new LinkCounters(10, 10, 1, 1))]);
        Assert.Empty(after.Ports);
    }
}
