using System.Globalization;
using System.Net;
using System.Text.Json;

namespace CimiGrains.Agents.Networks;

/// <summary>Bridges, VXLAN devices, forwarding entries, the gateway address and the rules: each made to match, idempotently.</summary>
public sealed partial class LinuxNetworkPlane
{
    private const string ZeroMac = "00:00:00:00:00:00";

    /// <summary>One network device as <c>ip -j -d link show</c> reports it.</summary>
    private sealed record Link(string Name, string? Kind, string? Master, int Mtu, uint? Vni, string? Local);

    private async Task<IReadOnlyList<Link>> LinksAsync(CancellationToken ct)
    {
        using var json = JsonDocument.Parse(await _shell.RunAsync("ip", ["-j", "-d", "link", "show"], ct));
        var links = new List<Link>();
        foreach (var l in json.RootElement.EnumerateArray())
        {
            string? kind = null, local = null;
            uint? vni = null;
            if (l.TryGetProperty("linkinfo", out var info))
            {
                kind = info.TryGetProperty("info_kind", out var k) ? k.GetString() : null;
                if (info.TryGetProperty("info_data", out var data) && data.ValueKind == JsonValueKind.Object)
                {
                    if (data.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number) vni = id.GetUInt32();
                    if (data.TryGetProperty("local", out var lo)) local = lo.GetString();
                }
            }
            links.Add(new Link(l.GetProperty("ifname").GetString()!, kind, l.TryGetProperty("master", out var m) ? m.GetString() : null,
                l.TryGetProperty("mtu", out var mtu) ? mtu.GetInt32() : 0, vni, local));
        }
        return links;
    }

    /// <summary>The Network's bridge and VXLAN device, its forwarding entries and (where the host routes for it) its gateway address.</summary>
    private async Task BuildNetworkAsync(NetworkPlaneState state, CancellationToken ct)
    {
        await EnsureBridgeAsync(state.NetworkId, state.Vni, state.Mtu, ct);
        await SyncForwardingEntriesAsync(state, ct);
        await SyncGatewayAddressAsync(state, ct);
        if (PlaneRules.GatewayOnBridge(state)) await _shell.RunAsync("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"], ct);
    }

    /// <summary>Makes the bridge and its VXLAN device (a VXLAN device of another VNI or endpoint is made again).</summary>
    private async Task EnsureBridgeAsync(string networkId, uint vni, int mtu, CancellationToken ct)
    {
        var links = (await LinksAsync(ct)).ToDictionary(l => l.Name);
        var bridge = PlaneNames.Bridge(networkId);
        var vxlan = PlaneNames.Vxlan(networkId);
        var mtuText = mtu.ToString(CultureInfo.InvariantCulture);
        if (!links.ContainsKey(bridge))
        {
            // Not through the host's iptables/ip6tables/arptables (br_netfilter, which Docker turns on for the whole
            // host): bridged frames are the bridge table's business, and Docker's FORWARD policy would drop them.
            await _shell.RunAsync("ip", ["link", "add", bridge, "mtu", mtuText, "type", "bridge", "nf_call_iptables", "0", "nf_call_ip6tables", "0", "nf_call_arptables", "0"], ct);
            LogMade(bridge, networkId);
        }
        else if (links[bridge].Mtu != mtu) await _shell.RunAsync("ip", ["link", "set", bridge, "mtu", mtuText], ct);
        // No IPv6 link-local address on the bridge: the host does not talk to workloads unless it is their gateway.
        await _shell.TryRunAsync("sysctl", ["-q", "-w", $"net.ipv6.conf.{bridge}.disable_ipv6=1"], ct);

        if (links.TryGetValue(vxlan, out var existing) && (existing.Kind != "vxlan" || existing.Vni != vni || existing.Local != UnderlayAddress))
        {
            await DeleteLinkAsync(vxlan, ct);
            existing = null;
        }
        if (existing is null)
        {
            List<string> add = ["link", "add", vxlan, "mtu", mtuText, "type", "vxlan", "id", vni.ToString(CultureInfo.InvariantCulture), "local", UnderlayAddress!];
            if (_options.UnderlayDevice is { } device) add.AddRange(["dev", device]);
            // nolearning: where a MAC lives is what the cluster says (RemoteEndpoints), never what a packet claims.
            add.AddRange(["dstport", PlaneRules.VxlanPort.ToString(CultureInfo.InvariantCulture), "nolearning"]);
            await _shell.RunAsync("ip", add, ct);
            LogMade(vxlan, networkId);
        }
        await _shell.RunAsync("ip", ["link", "set", vxlan, "mtu", mtuText, "master", bridge, "up"], ct);
        await _shell.RunAsync("ip", ["link", "set", bridge, "up"], ct);
    }

    /// <summary>
    /// The VXLAN device's forwarding entries: each remote MAC to its host's underlay address, and one all-zero
    /// entry per remote host, so broadcast and unknown unicast (ARP) are copied to each of them (head-end
    /// replication; the underlay needs no multicast). Entries no endpoint explains are removed.
    /// </summary>
    private async Task SyncForwardingEntriesAsync(NetworkPlaneState state, CancellationToken ct)
    {
        var vxlan = PlaneNames.Vxlan(state.NetworkId);
        var wanted = new HashSet<(string Mac, string Dst)>();
        foreach (var endpoint in state.RemoteEndpoints.Where(e => e.UnderlayAddress != UnderlayAddress))
        {
            wanted.Add((endpoint.Mac, endpoint.UnderlayAddress));
            wanted.Add((ZeroMac, endpoint.UnderlayAddress));
        }
        var current = new HashSet<(string Mac, string Dst)>();
        using (var json = JsonDocument.Parse(await _shell.RunAsync("bridge", ["-j", "fdb", "show", "dev", vxlan], ct)))
        {
            foreach (var entry in json.RootElement.EnumerateArray())
                if (entry.TryGetProperty("dst", out var dst) && entry.TryGetProperty("mac", out var mac))
                    current.Add((mac.GetString()!.ToLowerInvariant(), dst.GetString()!));
        }
        foreach (var (mac, dst) in current.Except(wanted))
            await _shell.TryRunAsync("bridge", ["fdb", "del", mac, "dev", vxlan, "dst", dst, "self"], ct);
        foreach (var (mac, dst) in wanted.Except(current))
            // The all-zero MAC has one entry per remote host (append); any other MAC lives at one host (replace).
            await _shell.RunAsync("bridge", ["fdb", mac == ZeroMac ? "append" : "replace", mac, "dev", vxlan, "dst", dst, "self", "permanent"], ct);
    }

    /// <summary>The gateway address on the bridge where the host routes for the Network; no address at all otherwise
    /// (a PRIVATE Network's workloads then have nothing on the host to talk to).</summary>
    private async Task SyncGatewayAddressAsync(NetworkPlaneState state, CancellationToken ct)
    {
        var bridge = PlaneNames.Bridge(state.NetworkId);
        string? wanted = null;
        if (PlaneRules.GatewayOnBridge(state) && IPNetwork.TryParse(state.Subnet, out var subnet))
            wanted = $"{state.Gateway}/{subnet.PrefixLength}";
        using var json = JsonDocument.Parse(await _shell.RunAsync("ip", ["-j", "addr", "show", "dev", bridge], ct));
        foreach (var link in json.RootElement.EnumerateArray())
        {
            if (!link.TryGetProperty("addr_info", out var addresses)) continue;
            foreach (var a in addresses.EnumerateArray())
            {
                var cidr = $"{a.GetProperty("local").GetString()}/{a.GetProperty("prefixlen").GetInt32()}";
                if (cidr != wanted) await _shell.RunAsync("ip", ["addr", "del", cidr, "dev", bridge], ct);
            }
        }
        if (wanted is not null) await _shell.RunAsync("ip", ["addr", "replace", wanted, "dev", bridge], ct);
    }

    /// <summary>Removes the Network's bridge and VXLAN device once no interface here uses it and no state wants it.</summary>
    private async Task RemoveNetworkIfUnusedAsync(string networkId, CancellationToken ct)
    {
        if (Store.Interfaces().Any(i => i.NetworkId == networkId)) return;
        if (Store.State(networkId) is { Present: true }) return;
        var links = (await LinksAsync(ct)).Select(l => l.Name).ToHashSet();
        foreach (var device in new[] { PlaneNames.Vxlan(networkId), PlaneNames.Bridge(networkId) })
            if (links.Contains(device)) await DeleteLinkAsync(device, ct);
    }

    private async Task DeleteLinkAsync(string device, CancellationToken ct)
    {
        var (code, _, error) = await _shell.TryRunAsync("ip", ["link", "del", device], ct);
        // Gone already (a veth whose other end's namespace died takes its pair with it) is what was wanted.
        if (code != 0 && !error.Contains("Cannot find device", StringComparison.Ordinal))
            throw new Drivers.DriverException($"ip link del {device} failed (exit {code}): {error.Trim()}");
        if (code == 0) LogRemoved(device);
    }

    /// <summary>Rewrites the plane's nftables tables from the records (one transaction).</summary>
    private async Task WriteRulesAsync(CancellationToken ct)
    {
        var states = Store.States();
        var peers = states.Where(s => s.Present).SelectMany(s => s.RemoteEndpoints).Select(e => e.UnderlayAddress)
            .Where(a => a != UnderlayAddress).Distinct().ToList();
        var external = states.Any(s => s.Present && PlaneInput.IsPublic(s.NetworkType)) ? await ExternalDeviceAsync(ct) : null;
        var interfaces = Store.Interfaces();
        await _shell.RunAsync("nft", ["-f", "-"], ct, PlaneRules.Script(interfaces, states, external, peers));
        await _docker.SyncAsync(interfaces.Count > 0 || states.Any(s => s.Present), ct);
    }

    /// <summary>CIMI_AGENT_EXTERNAL_DEVICE, else the device of the default route; null when there is neither.</summary>
    private async Task<string?> ExternalDeviceAsync(CancellationToken ct)
    {
        if (_options.ExternalDevice is { } device) return device;
        using var json = JsonDocument.Parse(await _shell.RunAsync("ip", ["-j", "route", "show", "default"], ct));
        foreach (var route in json.RootElement.EnumerateArray())
            if (route.TryGetProperty("dev", out var dev) && dev.GetString() is { } name && !PlaneNames.IsOurs(name)) return PlaneInput.Device(name, "the default route's device");
        return null;
    }
}
