using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Hosts;

/// <summary>
/// The host-facing side of a Machine grain (same grain, same key <c>{tenantId}/{localId}</c>, as
/// <see cref="IMachineGrain"/>): capture, and what the cluster learns about the Machine's host.
/// </summary>
public interface IHostedMachineGrain : IGrainWithStringKey
{
    /// <summary>Starts capturing the Machine into a new MachineImage (stored as CREATING until the host
    /// has committed it, then AVAILABLE). Returns the image and the Job that tracks the capture.</summary>
    Task<MachineCaptureResult> Capture(MachineImage image, string imageLocalId, string jobLocalId);

    /// <summary>A host reconnected and either listed this Machine's workload (with its generation and
    /// state) or did not (<see cref="ObservedState.Absent"/>). Returns whether the host keeps it.</summary>
    Task<HostAdoption> ReconcileWithHost(string hostId, string sessionId, long generation, ObservedState observed);

    /// <summary>The agent session <paramref name="sessionId"/> of host <paramref name="hostId"/> ended.
    /// One-way: the host grain must never wait on a Machine.</summary>
    [Orleans.Concurrency.OneWay]
    Task OnHostLost(string hostId, string sessionId, string reason);
}

/// <summary>The image being captured and the Job that tracks the capture.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineCaptureResult")]
public sealed record MachineCaptureResult([property: Id(0)] MachineImage Image, [property: Id(1)] Job Job);
