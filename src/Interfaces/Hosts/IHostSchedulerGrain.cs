namespace CimiGrains.Hosts;

/// <summary>
/// Chooses a host for a new Machine among the hosts whose agents are connected (one cluster-wide
/// grain, key 0). Hosts register and deregister themselves through their <see cref="IHostGrain"/>.
/// </summary>
public interface IHostSchedulerGrain : IGrainWithIntegerKey
{
    Task<Placement> Place(PlacementRequest request);

    /// <summary>Chooses a connected host whose volume pool has <paramref name="capacityKiB"/> free for the
    /// Volume <paramref name="volumeKey"/> (a Volume placed again is not in its own way).</summary>
    Task<Placement> PlaceVolume(string volumeKey, long capacityKiB);

    /// <summary>The largest volume pool of any host the scheduler has heard of, with that host's id; null
    /// when it knows no host with a pool (then nothing can be said yet).</summary>
    Task<(string HostId, long PoolKiB)?> LargestVolumePool();

    /// <summary>Every host the scheduler has heard of since it was activated, as placement sees it now
    /// (a host whose grain stopped reporting counts as away), ordered by host id.</summary>
    Task<IReadOnlyList<HostOverview>> GetHosts();

    /// <summary>A host's capacity and connectivity as its host grain last saw them.</summary>
    Task UpdateHost(HostInfo host);
}
