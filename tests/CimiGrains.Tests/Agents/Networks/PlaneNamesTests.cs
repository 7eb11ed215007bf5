extern alias agents;
using agents::CimiGrains.Agents.Networks;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>The plane's device names and its rules as text (no kernel needed).</summary>
public sealed class PlaneNamesTests
{
    [Fact]
    public void Names_fit_the_kernel_are_found_again_from_the_id_and_never_look_like_the_docker_drivers_bridges()
    {
        var id = "tenant-a/network-" + Guid.NewGuid();
        string[] names = [PlaneNames.Bridge(id), PlaneNames.Vxlan(id), PlaneNames.Veth(id), PlaneNames.Peer(id), PlaneNames.Tap(id)];
        Assert.All(names, n => Assert.Equal(15, n.Length));
        Assert.All(names, n => Assert.True(PlaneNames.IsOurs(n), n));
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Equal(PlaneNames.Bridge(id), PlaneNames.Bridge(id));
        Assert.NotEqual(PlaneNames.Bridge(id), PlaneNames.Bridge(id + "x"));
        // The Docker driver names its bridges cimi + 11 hex digits: the plane's fifth letter is never a hex digit.
        Assert.All(names, n => Assert.False(Uri.IsHexDigit(n[4]), n));
        Assert.False(PlaneNames.IsOurs("cimi0123456789a"));
        Assert.False(PlaneNames.IsOurs("eth0"));
    }

    [Fact]
    public void The_rules_drop_a_stopped_networks_ports_and_masquerade_only_started_public_networks()
    {
        var port = new PlaneInterfaceRecord("if-1", "net-1", 7, 1450, PlaneInterfaceRecord.Veth, PlaneNames.Veth("if-1"), "02:00:00:00:00:01", ["10.9.0.5/24"], "eth0", "net:[1]", null, true);
        var state = new NetworkPlaneState("net-1", "t", 7, 1450, "PUBLIC", "10.9.0.0/24", "10.9.0.1", Started: true, [], [], Present: true, 1);
        var started = PlaneRules.Script([port], [state], "ext0", ["192.0.2.7"]);
        Assert.Contains($"iifname \"{port.Port}\" jump port_{port.Port}", started);
        Assert.Contains("ether saddr != 02:00:00:00:00:01 drop", started);
        Assert.Contains("ip saddr { 10.9.0.5 } accept", started);
        Assert.Contains("oifname \"ext0\" ip saddr 10.9.0.0/24 ip daddr != 10.9.0.0/24 masquerade", started);
        Assert.Contains("udp dport 4789 ip saddr != { 192.0.2.7 } drop", started);

        var stopped = PlaneRules.Script([port], [state with { Started = false }], "ext0", []);
        Assert.Contains($"iifname {{ \"{PlaneNames.Vxlan("net-1")}\", \"{port.Port}\" }} drop", stopped);
        Assert.DoesNotContain("masquerade", stopped);

        // Nothing at all: each table is declared and deleted, and nothing declared again.
        var none = PlaneRules.Script([], [], null, []);
        Assert.Equal(3, none.Split('\n').Count(l => l.StartsWith("delete table", StringComparison.Ordinal)));
        Assert.DoesNotContain("chain", none);
    }
}
