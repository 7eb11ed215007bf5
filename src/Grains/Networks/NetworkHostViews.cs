using CimiGrains.Hosts;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// What each host of a Network is told: the Network itself (as every host sees it), present, with the ports on every
/// other host as its remote endpoints. A host whose underlay address is unknown
/// (its agent registered none) cannot be reached by the others: its ports are left out of their views.
/// </summary>
public static class NetworkHostViews
{
    public static Dictionary<string, NetworkHostView> Compute(NetworkHostView network,
        IReadOnlyList<(string HostId, string? Underlay, IReadOnlyList<NetworkLease> Leases)> hosts)
    {
        var endpoints = hosts.Where(h => h.Underlay is not null)
            .SelectMany(h => h.Leases.Select(l => (h.HostId, Endpoint: new NetworkEndpoint(h.HostId, h.Underlay!, l.Answer.Mac, l.Answer.Addresses))))
            .OrderBy(e => e.HostId, StringComparer.Ordinal).ThenBy(e => e.Endpoint.Mac, StringComparer.Ordinal)
            .ToList();
        return hosts.ToDictionary(h => h.HostId, h => network with
        {
            Present = true,
            RemoteEndpoints = [.. endpoints.Where(e => e.HostId != h.HostId).Select(e => e.Endpoint)],
        }, StringComparer.Ordinal);
    }
}
