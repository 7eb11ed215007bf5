using System.Net;
using System.Net.Sockets;
using CimiGrains.Machines;

namespace CimiGrains.Grains.Machines;

/// <summary>What a Machine's interface asks of a Network, checked before any Network is asked: the Network and
/// NetworkPort by reference (the tenant's own; the Network answers whether they exist), at most one static IPv4
/// address, a state of ACTIVE if any. The mtu is the Network's; one given is compared once the Network answered.</summary>
public static class MachineNetworkInterfaceRules
{
    public sealed record Wanted(string NetworkLocalId, string? PortLocalId, string? StaticAddress, int? Mtu);

    public static Wanted Check(ResourceRef? network, ResourceRef? port, string? staticAddress, string? state, int? mtu, string at)
    {
        var href = network?.Href
            ?? throw CimiException.Invalid($"{at} needs 'network', a reference to the Network to attach to (…/{MachineNetworkInterfaces.NetworkCollectionSegment}/<id>).");
        var networkLocalId = MachineNetworkInterfaces.LocalIdOf(href, MachineNetworkInterfaces.NetworkCollectionSegment)
            ?? throw CimiException.Invalid($"{at}: 'network' must reference a Network (…/{MachineNetworkInterfaces.NetworkCollectionSegment}/<id>), not '{href}'.");
        string? portLocalId = null;
        if (port is not null)
        {
            portLocalId = MachineNetworkInterfaces.LocalIdOf(port.Href, MachineNetworkInterfaces.NetworkPortCollectionSegment)
                ?? throw CimiException.Invalid($"{at}: 'networkPort' must reference a NetworkPort (…/{MachineNetworkInterfaces.NetworkPortCollectionSegment}/<id>), not '{port.Href}'.");
        }
        if (staticAddress is not null
            && (!IPAddress.TryParse(staticAddress, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || ip.ToString() != staticAddress))
            throw CimiException.Invalid($"{at}: the static address '{staticAddress}' is not an IPv4 address (a.b.c.d).");
        if (state is not null && state != MachineNetworkInterfaces.Active)
            throw CimiException.Invalid($"{at}: 'state' may only be {MachineNetworkInterfaces.Active} (an interface is plugged when it is attached), not '{state}'.");
        if (mtu is < 68 or > 9000) throw CimiException.Invalid($"{at}: 'mtu' must be from 68 to 9000, not {mtu}.");
        return new Wanted(networkLocalId, portLocalId, staticAddress, mtu);
    }

    /// <summary>A template's (or a MachineCreate's) <c>networkInterfaces</c>.</summary>
    public static IReadOnlyList<Wanted> CheckTemplate(IReadOnlyList<MachineTemplateNetworkInterface>? interfaces)
    {
        var checkedInterfaces = new List<Wanted>();
        if (interfaces is { Count: > MachineNetworkInterfaces.MaxPerMachine })
            throw CimiException.Invalid($"'networkInterfaces' names {interfaces.Count} interfaces; a Machine may have at most {MachineNetworkInterfaces.MaxPerMachine}.");
        foreach (var (n, i) in (interfaces ?? []).Select((n, i) => (n, i)))
        {
            var at = $"'networkInterfaces[{i}]'";
            if (n is null) throw CimiException.Invalid($"{at} is empty.");
            if (n.Addresses is { Count: > 1 })
                throw CimiException.Invalid($"{at} asks for {n.Addresses.Count} addresses; an interface takes one address of its Network.");
            string? ip = null;
            if (n.Addresses is [{ } address])
            {
                if (address.Href is not null)
                    throw CimiException.Invalid($"{at}: 'addresses[0]' references an Address ('{address.Href}'); give the address by value, as its 'ip'.");
                ip = address.Ip ?? throw CimiException.Invalid($"{at}: 'addresses[0]' needs its 'ip', the static address asked for.");
            }
            checkedInterfaces.Add(Check(n.Network, n.NetworkPort, ip, n.State, n.Mtu, at));
        }
        return checkedInterfaces;
    }
}
