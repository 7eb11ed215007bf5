extern alias agents;
using agents::CimiGrains.Agents.Networks;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// The host's network plane on the real kernel: two hosts (namespaces on an underlay the test makes), workloads
/// plugged on each, traffic across the VXLAN, isolation between Networks, and adoption after a crash.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NetworkPlaneTests
{
    internal static NetworkPlaneInterface Nic(string id, NetworkPlaneState network, string mac, string address, string name = "eth0") =>
        new(id, network.NetworkId, network.Vni, mac, [address], network.Gateway, [], network.Mtu, network.NetworkType, name);

    internal static NetworkPlaneState Network(string id, uint vni, string subnet = "10.77.0.0/24", string type = "PRIVATE", string? gateway = null,
        long version = 1, bool started = true, params NetworkPlaneEndpoint[] remote) =>
        new(id, "tenant-a", vni, 1450, type, subnet, gateway, started, remote, [], Present: true, version);

    internal static uint Vni() => (uint)Random.Shared.Next(1000, 0xFFFFFF);

    [Fact]
    public async Task Workloads_on_two_hosts_reach_each_other_over_vxlan_and_not_another_networks()
    {
        await using var rig = await PlaneRig.StartAsync(2);
        var (a, b) = (rig.Hosts[0], rig.Hosts[1]);
        var vni = Vni();
        var blue = $"net-{rig.Run}-blue";
        var red = $"net-{rig.Run}-red";
        var (macA, macB, macRed) = ("02:00:0a:00:00:01", "02:00:0a:00:00:02", "02:00:0a:00:00:03");

        await a.Plane.ApplyAsync(Network(blue, vni, remote: new NetworkPlaneEndpoint("b", b.UnderlayAddress, macB, ["10.77.0.2/24"])), default);
        await b.Plane.ApplyAsync(Network(blue, vni, remote: new NetworkPlaneEndpoint("a", a.UnderlayAddress, macA, ["10.77.0.1/24"])), default);
        var wa = await rig.WorkloadAsync();
        var wb = await rig.WorkloadAsync();
        await a.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-a", Network(blue, vni), macA, "10.77.0.1/24"), wa, default);
        await b.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-b", Network(blue, vni), macB, "10.77.0.2/24"), wb, default);

        Assert.True(await PlaneRig.EventuallyPingsAsync(wa, "10.77.0.2"), "workload a does not reach workload b across the VXLAN");
        Assert.True(await PlaneRig.PingsAsync(wb, "10.77.0.1"), "workload b does not reach workload a");
        Assert.Equal([$"00:00:00:00:00:00 {b.UnderlayAddress}", $"{macB} {b.UnderlayAddress}"], await a.ForwardingEntriesAsync(blue));
        Assert.Contains("eth0", await PlaneRig.InWorkloadAsync(wa, "-br", "link"));
        Assert.Contains(PlaneNames.Bridge(blue), await a.DevicesAsync());
        Assert.Equal([blue], await a.Plane.ListNetworksAsync(default));

        // The same subnet on another Network (another VNI) on host a: nothing of blue is reachable from it.
        await a.Plane.ApplyAsync(Network(red, vni + 1, remote: new NetworkPlaneEndpoint("b", b.UnderlayAddress, macB, ["10.77.0.2/24"])), default);
        var wr = await rig.WorkloadAsync();
        await a.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-r", Network(red, vni + 1), macRed, "10.77.0.3/24"), wr, default);
        Assert.False(await PlaneRig.PingsAsync(wr, "10.77.0.1"), "a workload on red reached blue's workload on the same host");
        Assert.False(await PlaneRig.PingsAsync(wr, "10.77.0.2"), "a workload on red reached blue's workload on the other host");
        Assert.False(await PlaneRig.PingsAsync(wa, "10.77.0.3"), "blue reached red");

        // Plugging again into the same namespace changes nothing; into a new one (a restarted container) replaces the pair.
        var before = await PlaneRig.InWorkloadAsync(wa, "-j", "link", "show", "eth0");
        await a.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-a", Network(blue, vni), macA, "10.77.0.1/24"), wa, default);
        Assert.Equal(before, await PlaneRig.InWorkloadAsync(wa, "-j", "link", "show", "eth0"));
        await rig.KillAsync(wa);
        var wa2 = await rig.WorkloadAsync();
        await a.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-a", Network(blue, vni), macA, "10.77.0.1/24"), wa2, default);
        Assert.True(await PlaneRig.EventuallyPingsAsync(wa2, "10.77.0.2"), "the restarted workload a does not reach b");
    }

    [Fact]
    public async Task Reconcile_after_a_crash_keeps_the_live_interfaces_and_removes_every_leftover()
    {
        await using var rig = await PlaneRig.StartAsync(2);
        var (a, b) = (rig.Hosts[0], rig.Hosts[1]);
        var vni = Vni();
        var blue = $"net-{rig.Run}-blue";
        var gone = $"net-{rig.Run}-gone";
        var (macA, macB) = ("02:00:0b:00:00:01", "02:00:0b:00:00:02");
        var (ifA, ifB, ifOld) = ($"if-{rig.Run}-a", $"if-{rig.Run}-b", $"if-{rig.Run}-old");
        await a.Plane.ApplyAsync(Network(blue, vni, remote: new NetworkPlaneEndpoint("b", b.UnderlayAddress, macB, ["10.77.0.2/24"])), default);
        await b.Plane.ApplyAsync(Network(blue, vni, remote: new NetworkPlaneEndpoint("a", a.UnderlayAddress, macA, ["10.77.0.1/24"])), default);
        var (wa, wb, wold) = (await rig.WorkloadAsync(), await rig.WorkloadAsync(), await rig.WorkloadAsync());
        await a.Plane.PlugContainerAsync(Nic(ifA, Network(blue, vni), macA, "10.77.0.1/24"), wa, default);
        await b.Plane.PlugContainerAsync(Nic(ifB, Network(blue, vni), macB, "10.77.0.2/24"), wb, default);
        // An interface the cluster no longer has, on a Network of its own with no state.
        await a.Plane.PlugContainerAsync(Nic(ifOld, Network(gone, vni + 7), "02:00:0b:00:00:09", "10.78.0.9/24"), wold, default);
        var tap = await a.Plane.CreateTapAsync(Nic($"if-{rig.Run}-vm", Network(blue, vni), "02:00:0b:00:00:05", "10.77.0.5/24"), 4242, default);
        Assert.Equal(PlaneNames.Tap($"if-{rig.Run}-vm"), tap);
        Assert.Contains(tap, await a.DevicesAsync());

        // What a kill -9 in the middle of operations leaves: an inner veth end that never moved, a port device
        // without a record, a half-written record, and a bridge of a Network nobody wants.
        await PlaneRig.RunAsync("ip", "-n", a.Namespace, "link", "add", PlaneNames.Veth("if-crashed"), "type", "veth", "peer", "name", PlaneNames.Peer("if-crashed"));
        await PlaneRig.RunAsync("ip", "-n", a.Namespace, "link", "add", PlaneNames.Bridge("net-orphan"), "type", "bridge");
        await File.WriteAllTextAsync(Path.Combine(a.StateDirectory, "interfaces", "0123456789.json.tmp"), "{\"interfaceId\":");

        var plane = a.NewPlane();
        await plane.ReconcileAsync(new HashSet<string> { ifA }, default);
        string[] expected = ["lo", PlaneNames.Bridge(blue), PlaneNames.Veth(ifA), PlaneNames.Vxlan(blue), "underlay"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), await a.DevicesAsync());
        Assert.True(await PlaneRig.EventuallyPingsAsync(wa, "10.77.0.2"), "the kept interface does not reach the other host after reconciliation");
        Assert.Empty(Directory.EnumerateFiles(a.StateDirectory, "*.tmp", SearchOption.AllDirectories));
        Assert.Equal([$"{PlaneNames.Hash(ifA)}.json"], Directory.EnumerateFiles(Path.Combine(a.StateDirectory, "interfaces")).Select(Path.GetFileName));

        // Idempotent: again, and again from another fresh plane, the same.
        await plane.ReconcileAsync(new HashSet<string> { ifA }, default);
        await a.NewPlane().ReconcileAsync(new HashSet<string> { ifA }, default);
        Assert.Equal(expected.Order(StringComparer.Ordinal), await a.DevicesAsync());

        // The Network goes (state not present) and the last interface with it: nothing of the plane is left, rules included.
        await a.Plane.ApplyAsync(Network(blue, vni, version: 2) with { Present = false }, default);
        Assert.Contains(PlaneNames.Bridge(blue), await a.DevicesAsync());
        await a.Plane.UnplugAsync(ifA, default);
        Assert.Equal(["lo", "underlay"], await a.DevicesAsync());
        Assert.DoesNotContain(await a.TablesAsync(), t => t.Contains("cimigrains", StringComparison.Ordinal));
        await a.Plane.UnplugAsync(ifA, default);
        await a.Plane.ReconcileAsync(new HashSet<string>(), default);
        Assert.Equal(["lo", "underlay"], await a.DevicesAsync());
    }

    [Fact]
    public async Task Dockers_forward_policy_on_the_host_does_not_drop_the_networks_traffic()
    {
        await using var rig = await PlaneRig.StartAsync(2);
        var (a, b) = (rig.Hosts[0], rig.Hosts[1]);
        // What dockerd leaves in a host's namespace: FORWARD policy DROP, its DOCKER-USER chain first (br_netfilter is on).
        foreach (var host in rig.Hosts)
        {
            await PlaneRig.RunAsync("ip", "netns", "exec", host.Namespace, "iptables", "-w", "-N", "DOCKER-USER");
            await PlaneRig.RunAsync("ip", "netns", "exec", host.Namespace, "iptables", "-w", "-A", "FORWARD", "-j", "DOCKER-USER");
            await PlaneRig.RunAsync("ip", "netns", "exec", host.Namespace, "iptables", "-w", "-P", "FORWARD", "DROP");
        }
        var vni = Vni();
        var blue = $"net-{rig.Run}-blue";
        var (macA, macB, macC) = ("02:00:0f:00:00:01", "02:00:0f:00:00:02", "02:00:0f:00:00:03");
        var onA = Network(blue, vni, remote: new NetworkPlaneEndpoint("b", b.UnderlayAddress, macB, ["10.77.0.2/24"]));
        await a.Plane.ApplyAsync(onA, default);
        await b.Plane.ApplyAsync(Network(blue, vni, remote: new NetworkPlaneEndpoint("a", a.UnderlayAddress, macA, ["10.77.0.1/24"])), default);
        var (wa, wb, wc) = (await rig.WorkloadAsync(), await rig.WorkloadAsync(), await rig.WorkloadAsync());
        await a.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-a", onA, macA, "10.77.0.1/24"), wa, default);
        await a.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-c", onA, macC, "10.77.0.3/24"), wc, default);
        await b.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-b", Network(blue, vni), macB, "10.77.0.2/24"), wb, default);
        Assert.True(await PlaneRig.EventuallyPingsAsync(wa, "10.77.0.3"), "two workloads on one host's bridge do not reach each other under Docker's FORWARD policy");
        Assert.True(await PlaneRig.EventuallyPingsAsync(wa, "10.77.0.2"), "workloads on two hosts do not reach each other under Docker's FORWARD policy");

        // Nothing left of the plane: its rules in DOCKER-USER go too.
        foreach (var id in new[] { $"if-{rig.Run}-a", $"if-{rig.Run}-c" }) await a.Plane.UnplugAsync(id, default);
        await a.Plane.ApplyAsync(onA with { Present = false, Version = 2 }, default);
        Assert.DoesNotContain(PlaneNames.BridgePrefix, await PlaneRig.RunAsync("ip", "netns", "exec", a.Namespace, "iptables", "-w", "-S", "DOCKER-USER"));
        Assert.Contains(PlaneNames.BridgePrefix, await PlaneRig.RunAsync("ip", "netns", "exec", b.Namespace, "iptables", "-w", "-S", "DOCKER-USER"));
    }
}
