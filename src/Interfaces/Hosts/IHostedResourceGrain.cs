namespace CimiGrains.Hosts;

/// <summary>
/// What every grain whose resource a host realizes takes from the host seam, whatever its kind
/// (<see cref="HostedKind"/>): the host's reports, its word at reconnection, and the loss of its session.
/// Each kind's grain interface extends it (<see cref="IHostedMachineGrain"/> for Machines).
/// </summary>
public interface IHostedResourceGrain : IGrainWithStringKey
{
    /// <summary>What a host observed or did for this resource.</summary>
    Task OnHostReport(HostReport report);

    /// <summary>A host reconnected and either listed this resource's workload (with its generation and
    /// state) or did not (<see cref="ObservedState.Absent"/>). Returns whether the host keeps it.</summary>
    Task<HostAdoption> ReconcileWithHost(string hostId, string sessionId, long generation, ObservedState observed);

    /// <summary>The agent session <paramref name="sessionId"/> of host <paramref name="hostId"/> ended.
    /// One-way: the host grain must never wait on a hosted resource.</summary>
    [Orleans.Concurrency.OneWay]
    Task OnHostLost(string hostId, string sessionId, string reason);
}
