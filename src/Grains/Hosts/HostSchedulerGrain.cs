using CimiGrains.Hosts;

namespace CimiGrains.Grains.Hosts;

/// <summary>
/// Places Machines on connected hosts. The registry is soft state: host grains report every change
/// (an agent connecting, leaving, or reporting capacity), and re-report after this grain reactivates,
/// so nothing here needs to be persisted.
/// </summary>
public sealed class HostSchedulerGrain : Grain, IHostSchedulerGrain
{
    private readonly Dictionary<string, HostInfo> _hosts = new(StringComparer.Ordinal);

    public Task UpdateHost(HostInfo host)
    {
        _hosts[host.HostId] = host;
        return Task.CompletedTask;
    }

    public Task<Placement> Place(PlacementRequest request)
    {
        var connected = _hosts.Values.Where(h => h.Connected).ToList();
        if (connected.Count == 0)
            return Task.FromResult(new Placement(null, "no host agent is connected to the cluster."));
        var withDriver = connected.Where(h => h.Drivers.Contains(request.Driver)).ToList();
        if (withDriver.Count == 0)
            return Task.FromResult(new Placement(null, $"no connected host offers the '{request.Driver}' driver."));
        var fitting = withDriver.Where(h => h.Cpu >= request.Cpu && h.MemoryKiB >= request.MemoryKiB).ToList();
        if (fitting.Count == 0)
            return Task.FromResult(new Placement(null,
                $"no connected host has {request.Cpu} CPU and {request.MemoryKiB} KiB of memory free."));
        // Spread: the host with the most free memory wins; CPU breaks ties.
        var chosen = fitting.OrderByDescending(h => h.MemoryKiB).ThenByDescending(h => h.Cpu).ThenBy(h => h.HostId).First();
        return Task.FromResult(new Placement(chosen.HostId, null));
    }
}
