using CimiGrains.Agents.Drivers;
using Docker.DotNet.Models;

namespace CimiGrains.Agents.Docker;

public sealed partial class DockerDriver
{
    /// <summary>
    /// Each running Machine container's counters from the engine's stats (one-shot, not streamed): the
    /// engine reads the container's cgroup (v1 or v2 alike) and its network namespace's interface counters,
    /// so this works on either cgroup version. Memory is the cgroup's usage less its page cache, as
    /// <c>docker stats</c> shows it.
    /// </summary>
    public async Task<IReadOnlyList<WorkloadCounters>> ReadCountersAsync(CancellationToken ct)
    {
        var containers = await Engine.Containers.ListContainersAsync(new ContainersListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ContainerNaming.HostLabel}={HostId}"] = true },
                ["status"] = new Dictionary<string, bool> { ["running"] = true },
            },
        }, ct);
        var readings = await Task.WhenAll(containers
            .Where(c => c.Labels.ContainsKey(ContainerNaming.MachineLabel))
            .Select(c => ReadCountersAsync(c.ID, c.Labels[ContainerNaming.MachineLabel], ct)));
        return [.. readings.OfType<WorkloadCounters>()];
    }

    private async Task<WorkloadCounters?> ReadCountersAsync(string containerId, string machineKey, CancellationToken ct)
    {
        ContainerStatsResponse? stats = null;
        try
        {
            await Engine.Containers.GetContainerStatsAsync(containerId, new ContainerStatsParameters { Stream = false, OneShot = true },
                new Progress(s => stats = s), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A container that stopped between the list and its stats: no reading this round.
            return null;
        }
        if (stats is null) return null;
        long? memory = stats.MemoryStats is { Usage: > 0 } m ? (long)m.Usage - (long)PageCache(m.Stats) : null;
        var io = stats.BlkioStats?.IoServiceBytesRecursive;
        long? IoBytes(string op) => io is null ? null
            : (long)io.Where(e => string.Equals(e.Op, op, StringComparison.OrdinalIgnoreCase)).Aggregate(0UL, (sum, e) => sum + e.Value);
        var networks = stats.Networks?.Values;
        return new WorkloadCounters(
            machineKey,
            stats.Read == default ? DateTimeOffset.UtcNow : new DateTimeOffset(stats.Read.ToUniversalTime(), TimeSpan.Zero),
            stats.CPUStats?.CPUUsage is { } cpu ? (long)cpu.TotalUsage : null,
            memory is < 0 ? 0 : memory,
            IoBytes("read"),
            IoBytes("write"),
            networks is null ? null : (long)networks.Aggregate(0UL, (sum, n) => sum + n.RxBytes),
            networks is null ? null : (long)networks.Aggregate(0UL, (sum, n) => sum + n.TxBytes));
    }

    /// <summary>The page cache in a cgroup's memory statistics: inactive_file on cgroup v2, cache on v1.</summary>
    private static ulong PageCache(IDictionary<string, ulong>? stats) =>
        stats is null ? 0 : stats.TryGetValue("inactive_file", out var v2) ? v2 : stats.TryGetValue("cache", out var v1) ? v1 : 0;

    /// <summary>Runs the callback on the reporting thread (<see cref="Progress{T}"/> would post it to the thread pool, after the call returned).</summary>
    private sealed class Progress(Action<ContainerStatsResponse> report) : IProgress<ContainerStatsResponse>
    {
        public void Report(ContainerStatsResponse value) => report(value);
    }
}
