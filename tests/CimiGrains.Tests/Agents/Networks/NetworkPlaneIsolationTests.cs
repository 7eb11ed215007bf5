extern alias agents;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Networks;
using static CimiGrains.Tests.Agents.Networks.NetworkPlaneTests;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>What a port may send, what a stopped Network forwards, and what is routed or masqueraded, on the real kernel.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NetworkPlaneIsolationTests
{
    [Fact]
    public async Task A_forged_source_mac_or_address_is_dropped_and_a_stopped_network_forwards_nothing()
    {
        await using var rig = await PlaneRig.StartAsync(2);
        var (a, b) = (rig.Hosts[0], rig.Hosts[1]);
        var vni = Vni();
        var blue = $"net-{rig.Run}-blue";
        var (macA, macB) = ("02:00:0c:00:00:01", "02:00:0c:00:00:02");
        NetworkPlaneState OnA(long version, bool started) => Network(blue, vni, version: version, started: started, remote: new NetworkPlaneEndpoint("b", b.UnderlayAddress, macB, ["10.77.0.2/24"]));
        await a.Plane.ApplyAsync(OnA(1, true), default);
        await b.Plane.ApplyAsync(Network(blue, vni, remote: new NetworkPlaneEndpoint("a", a.UnderlayAddress, macA, ["10.77.0.1/24"])), default);
        var (wa, wb) = (await rig.WorkloadAsync(), await rig.WorkloadAsync());
        await a.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-a", OnA(1, true), macA, "10.77.0.1/24"), wa, default);
        await b.Plane.PlugContainerAsync(Nic($"if-{rig.Run}-b", Network(blue, vni), macB, "10.77.0.2/24"), wb, default);
        Assert.True(await PlaneRig.EventuallyPingsAsync(wa, "10.77.0.2"), "workload a does not reach b to begin with");

        // Another MAC: nothing gets out; its own again: it does.
        await PlaneRig.InWorkloadAsync(wa, "link", "set", "eth0", "address", "02:00:0c:00:00:66");
        await PlaneRig.InWorkloadAsync(wa, "neigh", "flush", "dev", "eth0");
        Assert.False(await PlaneRig.PingsAsync(wa, "10.77.0.2"), "frames from a forged source MAC were forwarded");
        await PlaneRig.InWorkloadAsync(wa, "link", "set", "eth0", "address", macA);
        Assert.True(await PlaneRig.EventuallyPingsAsync(wa, "10.77.0.2"), "workload a does not reach b with its own MAC again");

        // An address that is not its own, for IPv4 and for ARP: dropped; its own still passes.
        await PlaneRig.InWorkloadAsync(wa, "addr", "add", "10.77.0.66/24", "dev", "eth0");
        await PlaneRig.InWorkloadAsync(wa, "neigh", "flush", "dev", "eth0");
        Assert.False(await PlaneRig.PingsAsync(wa, "10.77.0.2", from: "10.77.0.66"), "packets from a forged source address were forwarded");
        Assert.True(await PlaneRig.EventuallyPingsAsync(wa, "10.77.0.2"), "workload a's own address stopped passing");

        // Stopped on host a: nothing either way; started again (a newer version): traffic again; an older state is ignored.
        await a.Plane.ApplyAsync(OnA(2, false), default);
        Assert.False(await PlaneRig.PingsAsync(wa, "10.77.0.2"), "a stopped Network forwarded from a to b");
        Assert.False(await PlaneRig.PingsAsync(wb, "10.77.0.1"), "a stopped Network forwarded from b to a");
        await a.Plane.ApplyAsync(OnA(3, true), default);
        Assert.True(await PlaneRig.EventuallyPingsAsync(wa, "10.77.0.2"), "the Network started again does not forward");
        await a.Plane.ApplyAsync(OnA(2, false), default);
        Assert.True(await PlaneRig.PingsAsync(wa, "10.77.0.2"), "an older state (stopped) was applied over a newer one");
        // After a restart too: the newest state is on disk.
        await a.NewPlane().ApplyAsync(OnA(1, false), default);
        Assert.True(await PlaneRig.PingsAsync(wa, "10.77.0.2"), "an older state was applied after a restart");

        // Remote endpoint gone: its forwarding entries go with it.
        await a.Plane.ApplyAsync(OnA(4, true) with { RemoteEndpoints = [] }, default);
        Assert.Empty(await a.ForwardingEntriesAsync(blue));
        Assert.False(await PlaneRig.PingsAsync(wa, "10.77.0.2"), "b is reached with no forwarding entry towards it");
    }

    [Fact]
    public async Task Public_networks_are_masqueraded_routed_networks_reach_only_their_subnets_and_the_host_is_closed()
    {
        await using var rig = await PlaneRig.StartAsync(1);
        var a = rig.Hosts[0];
        // The world outside: a namespace behind host a's external device, with no route back to any Network's subnet.
        var outside = $"cimt{rig.Run}o";
        await rig.NamespaceAsync(outside);
        await PlaneRig.RunAsync("ip", "link", "add", $"cimt{rig.Run}e", "netns", a.Namespace, "type", "veth", "peer", "name", "world", "netns", outside);
        await PlaneRig.RunAsync("ip", "-n", a.Namespace, "link", "set", $"cimt{rig.Run}e", "name", "external");
        await PlaneRig.RunAsync("ip", "-n", a.Namespace, "addr", "add", "10.253.0.1/24", "dev", "external");
        await PlaneRig.RunAsync("ip", "-n", a.Namespace, "link", "set", "external", "up");
        await PlaneRig.RunAsync("ip", "-n", outside, "addr", "add", "10.253.0.2/24", "dev", "world");
        await PlaneRig.RunAsync("ip", "-n", outside, "link", "set", "world", "up");
        var plane = a.NewPlane(externalDevice: "external");

        var vni = Vni();
        NetworkPlaneState Net(string name, uint n, string type, string[] routed) =>
            Network($"net-{rig.Run}-{name}", vni + n, subnet: $"10.8{n}.0.0/24", type: type, gateway: $"10.8{n}.0.1") with { RoutedSubnets = routed };
        var pub = Net("public", 0, "PUBLIC", []);
        var green = Net("green", 1, "PRIVATE", ["10.82.0.0/24"]);
        var yellow = Net("yellow", 2, "PRIVATE", ["10.81.0.0/24"]);
        var priv = Net("private", 3, "PRIVATE", []) with { Gateway = "10.83.0.1" };
        var workloads = new Dictionary<string, int>();
        foreach (var (net, n) in new[] { (pub, 0), (green, 1), (yellow, 2), (priv, 3) })
        {
            await plane.ApplyAsync(net, default);
            var pid = await rig.WorkloadAsync();
            await plane.PlugContainerAsync(Nic($"if-{rig.Run}-{n}", net, $"02:00:0d:00:00:0{n}", $"10.8{n}.0.5/24"), pid, default);
            workloads[net.NetworkId] = pid;
        }

        Assert.True(await PlaneRig.EventuallyPingsAsync(workloads[pub.NetworkId], "10.253.0.2"), "the PUBLIC Network's workload does not reach outside (NAT)");
        Assert.False(await PlaneRig.PingsAsync(workloads[priv.NetworkId], "10.253.0.2"), "a PRIVATE Network's workload reached outside");
        Assert.False(await PlaneRig.PingsAsync(workloads[green.NetworkId], "10.253.0.2"), "a routed PRIVATE Network's workload reached outside");
        Assert.True(await PlaneRig.EventuallyPingsAsync(workloads[green.NetworkId], "10.82.0.5"), "green does not reach yellow through their ForwardingGroup");
        Assert.True(await PlaneRig.PingsAsync(workloads[yellow.NetworkId], "10.81.0.5"), "yellow does not reach green");
        Assert.False(await PlaneRig.PingsAsync(workloads[pub.NetworkId], "10.81.0.5"), "the PUBLIC Network reached green, which routes only to yellow");
        Assert.False(await PlaneRig.PingsAsync(workloads[green.NetworkId], "10.80.0.5"), "green reached the PUBLIC Network");
        // The gateway routes, but the host itself answers nothing a workload starts.
        Assert.False(await PlaneRig.PingsAsync(workloads[pub.NetworkId], "10.80.0.1"), "a workload reached the host at its gateway address");
        Assert.False(await PlaneRig.PingsAsync(workloads[pub.NetworkId], "10.253.0.1"), "a workload reached the host at its external address");
        Assert.DoesNotContain("inet", await PlaneRig.RunAsync("ip", "-n", a.Namespace, "-br", "addr", "show", "dev", PlaneNames.Bridge(priv.NetworkId)));

        // Stopping the PUBLIC Network ends its NAT too.
        await plane.ApplyAsync(pub with { Started = false, Version = 2 }, default);
        Assert.False(await PlaneRig.PingsAsync(workloads[pub.NetworkId], "10.253.0.2"), "a stopped PUBLIC Network still reaches outside");
    }

    [Fact]
    public async Task Bad_input_is_refused_naming_it_and_changes_nothing()
    {
        await using var rig = await PlaneRig.StartAsync(1);
        var a = rig.Hosts[0];
        var blue = Network($"net-{rig.Run}-blue", Vni());
        var bad = await Assert.ThrowsAsync<DriverException>(() => a.Plane.ApplyAsync(blue with { RemoteEndpoints = [new("b", "10.252.0.99", "ff:ff:ff:ff:ff:ff", [])] }, default));
        Assert.Contains("ff:ff:ff:ff:ff:ff", bad.Message);
        bad = await Assert.ThrowsAsync<DriverException>(() => a.Plane.ApplyAsync(blue with { Subnet = "10.0.0.0/33\"; flush ruleset" }, default));
        Assert.Contains("subnet", bad.Message);
        var pid = await rig.WorkloadAsync();
        bad = await Assert.ThrowsAsync<DriverException>(() => a.Plane.PlugContainerAsync(Nic($"if-{rig.Run}", blue, "02:00:0e:00:00:01", "10.77.0.300/24"), pid, default));
        Assert.Contains("10.77.0.300/24", bad.Message);
        Assert.Equal(["lo", "underlay"], await a.DevicesAsync());

        var disabled = new LinuxNetworkPlane(new NetworkPlaneOptions { StateDirectory = a.StateDirectory }, Microsoft.Extensions.Logging.Abstractions.NullLogger<LinuxNetworkPlane>.Instance);
        Assert.False(disabled.Enabled);
        Assert.Contains("CIMI_AGENT_UNDERLAY_ADDRESS", (await Assert.ThrowsAsync<DriverException>(() => disabled.ApplyAsync(blue, default))).Message);
    }
}
