namespace CimiGrains.Hosts;

/// <summary>
/// Chooses a host for a new Machine among the hosts whose agents are connected (one cluster-wide
/// grain, key 0). Hosts register and deregister themselves through their <see cref="IHostGrain"/>.
/// </summary>
public interface IHostSchedulerGrain : IGrainWithIntegerKey
{
    Task<Placement> Place(PlacementRequest request);

    /// <summary>Every host the scheduler has heard of since it was activated, as placement sees it now
    /// (a host whose grain stopped reporting counts as away), ordered by host id.</summary>
    Task<IReadOnlyList<HostOverview>> GetHosts();

    /// <summary>A host's capacity and connectivity as its host grain last saw them.</summary>
    Task UpdateHost(HostInfo host);
}
