using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using CimiGrains.Agents.Networks;
using CimiGrains.Agents.Protocol;

namespace CimiGrains.Agents.Drivers;

/// <summary>
/// A Machine's network interfaces as every driver takes them (docs/NETWORKS.md, "Drivers"): from the wire's
/// <see cref="NetworkInterfaceSpec"/> to the plane's <see cref="NetworkPlaneInterface"/>, named in the workload
/// <c>eth0</c>, <c>eth1</c>, … in the order the cluster lists them, checked before anything is made, and refused
/// with the setting to change when this host's network plane is not enabled.
/// </summary>
public static partial class MachineNetworkInterfaces
{
    /// <summary>The agent setting that enables the host's network plane (its VXLAN underlay address).</summary>
    public const string PlaneSetting = "CIMI_AGENT_UNDERLAY_ADDRESS";

    /// <summary>The most interfaces one Machine takes (a VM has a PCIe root port for each).</summary>
    public const int MaxPerMachine = 8;

    /// <summary>The name of the <paramref name="index"/>th interface inside the workload.</summary>
    public static string NameFor(int index) => "eth" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>The lowest <c>ethN</c> none of <paramref name="used"/> has: the name of an interface attached later.</summary>
    public static string NextFreeName(IEnumerable<string> used)
    {
        var taken = used.ToHashSet(StringComparer.Ordinal);
        var i = 0;
        while (taken.Contains(NameFor(i))) i++;
        return NameFor(i);
    }

    /// <summary>The name an attached interface gets: the one it brings, else (the agent's attach brings none) the lowest
    /// free <c>ethN</c>. A name the Machine's other interfaces have is refused by <see cref="CheckedAll"/>.</summary>
    public static string NameForAttach(NetworkPlaneInterface nic, IEnumerable<string> used) =>
        nic.Name.Length > 0 ? nic.Name : NextFreeName(used);

    /// <summary>The plane's view of one interface of the wire (<paramref name="name"/>: its name in the workload;
    /// empty for an attach, whose driver names it).</summary>
    public static NetworkPlaneInterface FromProto(NetworkInterfaceSpec spec, string name) => new(
        spec.InterfaceId, spec.NetworkId, spec.Vni, spec.Mac.ToLowerInvariant(), [.. spec.Addresses],
        spec.Gateway.Length > 0 ? spec.Gateway : null, [.. spec.Dns], spec.Mtu, spec.NetworkType, name,
        spec.NetworkPortKey.Length > 0 ? spec.NetworkPortKey : null);

    /// <summary>The interfaces of a create, named in order.</summary>
    public static IReadOnlyList<NetworkPlaneInterface> FromProto(IEnumerable<NetworkInterfaceSpec> specs) =>
        specs.Select((s, i) => FromProto(s, NameFor(i))).ToList();

    /// <summary>Fails, naming the setting, when the Machine has interfaces and this host offers no Networks.</summary>
    public static void RequirePlane(INetworkPlane? plane, string machineKey, int interfaces)
    {
        if (interfaces > 0 && plane is not { Enabled: true })
            throw new DriverException($"Machine {machineKey} has {interfaces} network interface(s), but this host offers no Networks: " +
                $"its network plane is not enabled (set {PlaneSetting} to the host's underlay address, docs/NETWORKS.md).");
    }

    /// <summary>The checks an interface passes before a driver records or plugs it: what the driver and the guest
    /// rely on (a unicast MAC, CIDR addresses, a gateway that is an address) said in words a consumer can act on.</summary>
    public static NetworkPlaneInterface Checked(NetworkPlaneInterface nic)
    {
        if (nic.InterfaceId.Length == 0) throw new DriverException("A network interface has no id (interface_id is empty).");
        if (nic.NetworkId.Length == 0) throw new DriverException($"Network interface {nic.InterfaceId} names no Network.");
        if (!Mac().IsMatch(nic.Mac) || (Convert.ToByte(nic.Mac[..2], 16) & 1) != 0)
            throw new DriverException($"Network interface {nic.InterfaceId} has MAC '{nic.Mac}', which is not a unicast MAC (six hex pairs separated by ':').");
        foreach (var address in nic.Addresses)
        {
            if (!IPNetwork.TryParse(address, out _) || !address.Contains('/'))
                throw new DriverException($"Network interface {nic.InterfaceId} has address '{address}', which is not an address with its prefix (e.g. 10.20.0.5/24).");
        }
        if (nic.Gateway is { } gateway && !IPAddress.TryParse(gateway, out _))
            throw new DriverException($"Network interface {nic.InterfaceId} has gateway '{gateway}', which is not an IP address.");
        if (nic.Mtu is < 0 or > 65535) throw new DriverException($"Network interface {nic.InterfaceId} has MTU {nic.Mtu}, out of range.");
        return nic;
    }

    /// <summary>The interfaces of a create, checked together: no id, MAC or name twice, not more than a Machine takes.</summary>
    public static IReadOnlyList<NetworkPlaneInterface> CheckedAll(IReadOnlyList<NetworkPlaneInterface>? nics)
    {
        var all = (nics ?? []).Select(Checked).ToList();
        if (all.Count > MaxPerMachine) throw new DriverException($"A Machine takes at most {MaxPerMachine} network interfaces; {all.Count} were named.");
        if (all.GroupBy(n => n.InterfaceId).FirstOrDefault(g => g.Count() > 1) is { } id)
            throw new DriverException($"Network interface {id.Key} is named twice for one Machine.");
        if (all.GroupBy(n => n.Mac).FirstOrDefault(g => g.Count() > 1) is { } mac)
            throw new DriverException($"Two network interfaces of one Machine have MAC {mac.Key}.");
        if (all.GroupBy(n => n.Name).FirstOrDefault(g => g.Count() > 1) is { } name)
            throw new DriverException($"Two network interfaces of one Machine are to be called {name.Key}.");
        return all;
    }

    [GeneratedRegex("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")]
    private static partial Regex Mac();
}
