using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CimiGrains.Agents.Networks;

/// <summary>
/// The plane's nftables rules, written whole from the records each time anything changes and swapped in by one
/// nft transaction (each table declared, deleted and declared again with its new content), so the kernel never
/// holds half a rule set and a re-run after a crash converges. The tables are the plane's own
/// (<c>cimigrains_…</c>): other software's tables, Docker's included, are never read or touched. In nftables
/// a packet must pass every table's chain at a hook, so these rules only ever take away.
/// <list type="bullet">
/// <item><c>bridge cimigrains_ports</c>: each port may send only from its MAC and (IPv4, ARP) its addresses;
/// a stopped Network's ports and VXLAN device forward nothing; where the host is the gateway, ARP for the
/// gateway address never crosses the VXLAN device, so every host answers for its own workloads.</item>
/// <item><c>inet cimigrains_filter</c>: workloads open nothing on the host (INPUT); VXLAN only from the
/// underlay addresses of known remote endpoints; forwarding out of or into a bridge only where a Network is
/// PUBLIC (to the external device) or routed (to the subnets its ForwardingGroups join).</item>
/// <item><c>ip cimigrains_nat</c>: masquerade of PUBLIC Networks' subnets out of the external device.</item>
/// </list>
/// </summary>
public static class PlaneRules
{
    public const string PortsTable = "cimigrains_ports";
    public const string FilterTable = "cimigrains_filter";
    public const string NatTable = "cimigrains_nat";
    public const int VxlanPort = 4789;

    /// <summary>Whether the host holds the Network's gateway address on its bridge (and routes for it).</summary>
    public static bool GatewayOnBridge(NetworkPlaneState state) =>
        state.Present && !string.IsNullOrEmpty(state.Gateway) && (PlaneInput.IsPublic(state.NetworkType) || state.RoutedSubnets.Count > 0);

    /// <summary>The nft script that makes the plane's tables exactly this (or removes them when there is nothing).</summary>
    public static string Script(IReadOnlyList<PlaneInterfaceRecord> interfaces, IReadOnlyList<NetworkPlaneState> states, string? externalDevice, IReadOnlyList<string> underlayPeers)
    {
        // A Network with interfaces here but no state yet forwards like a started one (on its own bridge only).
        states = [.. states, .. interfaces.Select(i => i.NetworkId).Distinct().Where(id => !states.Any(s => s.NetworkId == id))
            .Select(id => new NetworkPlaneState(id, "", 0, 0, "PRIVATE", "", null, true, [], [], true, 0))];
        var script = new StringBuilder();
        foreach (var (family, table) in new[] { ("bridge", PortsTable), ("inet", FilterTable), ("ip", NatTable) })
            script.Append("table ").Append(family).Append(' ').Append(table).Append('\n')
                .Append("delete table ").Append(family).Append(' ').Append(table).Append('\n');
        var present = states.Where(s => s.Present).ToList();
        if (interfaces.Count == 0 && present.Count == 0) return script.ToString();
        AppendPorts(script, interfaces, present);
        AppendFilter(script, present, externalDevice, underlayPeers);
        AppendNat(script, present, externalDevice);
        return script.ToString();
    }

    private static void AppendPorts(StringBuilder s, IReadOnlyList<PlaneInterfaceRecord> interfaces, IReadOnlyList<NetworkPlaneState> states)
    {
        var stopped = new List<string>();
        foreach (var state in states.Where(st => !st.Started))
        {
            stopped.Add(PlaneNames.Vxlan(state.NetworkId));
            stopped.AddRange(interfaces.Where(i => i.NetworkId == state.NetworkId).Select(i => i.Port));
        }
        var gateways = states.Where(GatewayOnBridge).Select(st => (Vxlan: PlaneNames.Vxlan(st.NetworkId), Gateway: st.Gateway!)).ToList();

        s.Append("table bridge ").Append(PortsTable).Append(" {\n");
        s.Append("  chain prerouting {\n    type filter hook prerouting priority -200; policy accept;\n");
        if (stopped.Count > 0) s.Append("    iifname ").Append(Set(stopped)).Append(" drop\n");
        foreach (var i in interfaces) s.Append("    iifname \"").Append(i.Port).Append("\" jump port_").Append(i.Port).Append('\n');
        foreach (var (vxlan, gateway) in gateways) AppendGatewayArp(s, "iifname", vxlan, gateway);
        s.Append("  }\n");
        foreach (var hook in new[] { "forward", "output" })
        {
            s.Append("  chain ").Append(hook).Append(" {\n    type filter hook ").Append(hook).Append(" priority -200; policy accept;\n");
            if (stopped.Count > 0) s.Append("    oifname ").Append(Set(stopped)).Append(" drop\n");
            foreach (var (vxlan, gateway) in gateways) AppendGatewayArp(s, "oifname", vxlan, gateway);
            s.Append("  }\n");
        }
        foreach (var i in interfaces) AppendPortChain(s, i);
        s.Append("}\n");
    }

    /// <summary>ARP that asks for or answers as the gateway stays on this host's side of the VXLAN device.</summary>
    private static void AppendGatewayArp(StringBuilder s, string direction, string vxlan, string gateway)
    {
        if (!IPAddress.TryParse(gateway, out var address) || address.AddressFamily != AddressFamily.InterNetwork) return;
        s.Append("    ").Append(direction).Append(" \"").Append(vxlan).Append("\" ether type arp arp saddr ip ").Append(address).Append(" drop\n");
        s.Append("    ").Append(direction).Append(" \"").Append(vxlan).Append("\" ether type arp arp daddr ip ").Append(address).Append(" drop\n");
    }

    /// <summary>A port's own chain: its MAC, its addresses, ARP, IPv4 and (only with an IPv6 address) IPv6; nothing else.</summary>
    private static void AppendPortChain(StringBuilder s, PlaneInterfaceRecord i)
    {
        var v4 = i.Addresses.Select(PlaneInput.HostPart).Where(a => a.AddressFamily == AddressFamily.InterNetwork).Select(a => a.ToString()).ToList();
        var v6 = i.Addresses.Select(PlaneInput.HostPart).Where(a => a.AddressFamily == AddressFamily.InterNetworkV6).Select(a => a.ToString()).ToList();
        s.Append("  chain port_").Append(i.Port).Append(" {\n");
        s.Append("    ether saddr != ").Append(i.Mac).Append(" drop\n");
        s.Append("    ether type arp arp saddr ether != ").Append(i.Mac).Append(" drop\n");
        // 0.0.0.0: the sender of an ARP probe (duplicate address detection) has no address yet.
        s.Append("    ether type arp arp saddr ip != ").Append(Set(["0.0.0.0", .. v4], quote: false)).Append(" drop\n");
        s.Append("    ether type arp accept\n");
        if (v4.Count > 0) s.Append("    ether type ip ip saddr ").Append(Set(v4, quote: false)).Append(" accept\n");
        // A DHCP client asks before it has an address: only that, only to the broadcast address.
        s.Append("    ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept\n");
        if (v6.Count > 0) s.Append("    ether type ip6 ip6 saddr ").Append(Set([.. v6, "fe80::/10"], quote: false)).Append(" accept\n");
        s.Append("    drop\n  }\n");
    }

    private static void AppendFilter(StringBuilder s, IReadOnlyList<NetworkPlaneState> states, string? externalDevice, IReadOnlyList<string> peers)
    {
        var bridges = "\"" + PlaneNames.BridgePrefix + "*\"";
        s.Append("table inet ").Append(FilterTable).Append(" {\n");
        s.Append("  chain input {\n    type filter hook input priority -5; policy accept;\n");
        s.Append("    iifname ").Append(bridges).Append(" ct state established,related accept\n");
        s.Append("    iifname ").Append(bridges).Append(" drop\n");
        foreach (var (family, selector, addressFamily) in new[] { ("ipv4", "ip", AddressFamily.InterNetwork), ("ipv6", "ip6", AddressFamily.InterNetworkV6) })
        {
            var known = peers.Where(p => IPAddress.TryParse(p, out var a) && a.AddressFamily == addressFamily).Distinct().ToList();
            s.Append("    meta nfproto ").Append(family).Append(" udp dport ").Append(VxlanPort);
            if (known.Count > 0) s.Append(' ').Append(selector).Append(" saddr != ").Append(Set(known, quote: false));
            s.Append(" drop\n");
        }
        s.Append("  }\n");
        s.Append("  chain forward {\n    type filter hook forward priority -5; policy accept;\n");
        s.Append("    oifname ").Append(bridges).Append(" ct state established,related accept\n");
        s.Append("    iifname ").Append(bridges).Append(" ct state established,related accept\n");
        // Frames bridged within one bridge come here too when br_netfilter is on (Docker turns it on for the whole
        // host, and a bridge cannot opt out): in and out are then the same bridge, and the bridge table has judged them.
        foreach (var state in states.Where(st => st.Started))
        {
            var bridge = PlaneNames.Bridge(state.NetworkId);
            s.Append("    iifname \"").Append(bridge).Append("\" oifname \"").Append(bridge).Append("\" accept\n");
        }
        foreach (var state in states.Where(st => st.Started && GatewayOnBridge(st) && IsV4Subnet(st.Subnet)))
        {
            var bridge = PlaneNames.Bridge(state.NetworkId);
            var routed = state.RoutedSubnets.Where(IsV4Subnet).ToList();
            if (routed.Count > 0)
                s.Append("    iifname \"").Append(bridge).Append("\" oifname ").Append(bridges).Append(" ip saddr ").Append(state.Subnet)
                    .Append(" ip daddr ").Append(Set(routed, quote: false)).Append(" accept\n");
            if (PlaneInput.IsPublic(state.NetworkType) && externalDevice is not null)
                s.Append("    iifname \"").Append(bridge).Append("\" oifname \"").Append(externalDevice).Append("\" ip saddr ").Append(state.Subnet).Append(" accept\n");
        }
        s.Append("    iifname ").Append(bridges).Append(" drop\n");
        s.Append("    oifname ").Append(bridges).Append(" drop\n");
        s.Append("  }\n}\n");
    }

    private static void AppendNat(StringBuilder s, IReadOnlyList<NetworkPlaneState> states, string? externalDevice)
    {
        var nat = states.Where(st => st.Started && GatewayOnBridge(st) && PlaneInput.IsPublic(st.NetworkType) && IsV4Subnet(st.Subnet)).ToList();
        if (nat.Count == 0 || externalDevice is null) return;
        s.Append("table ip ").Append(NatTable).Append(" {\n");
        s.Append("  chain postrouting {\n    type nat hook postrouting priority 100; policy accept;\n");
        foreach (var state in nat)
            s.Append("    oifname \"").Append(externalDevice).Append("\" ip saddr ").Append(state.Subnet).Append(" ip daddr != ").Append(state.Subnet).Append(" masquerade\n");
        s.Append("  }\n}\n");
    }

    private static bool IsV4Subnet(string subnet) => IPNetwork.TryParse(subnet, out var n) && n.BaseAddress.AddressFamily == AddressFamily.InterNetwork;

    private static string Set(IEnumerable<string> items, bool quote = true) =>
        "{ " + string.Join(", ", items.Select(i => quote ? "\"" + i + "\"" : i)) + " }";
}
