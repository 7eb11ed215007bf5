using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Hosts;

/// <summary>
/// The host-facing side of a Machine grain (same grain, same key <c>{tenantId}/{localId}</c>, as
/// <see cref="IMachineGrain"/>): capture, and (from <see cref="IHostedResourceGrain"/>) what the
/// cluster learns about the Machine's host.
/// </summary>
public interface IHostedMachineGrain : IHostedResourceGrain
{
    /// <summary>Starts capturing the Machine into a new MachineImage (stored as CREATING until the host
    /// has committed it, then AVAILABLE). Returns the image and the Job that tracks the capture.</summary>
    Task<MachineCaptureResult> Capture(MachineImage image, string imageLocalId, string jobLocalId);

    /// <summary>
    /// After <see cref="IHostedResourceGrain.ReconcileWithHost"/> kept the Machine's workload on a reconnected host:
    /// the Volumes (keys) that host's inventory lists as attached to it. The Machine converges (docs/VOLUMES.md, "At
    /// reconnection"): one it records as attached that the host lacks is attached again, one the host has that it does
    /// not record is detached there. Ignored unless <paramref name="hostId"/> is the Machine's host and
    /// <paramref name="sessionId"/> the session it was reconciled with.
    /// </summary>
    Task ReconcileVolumes(string hostId, string sessionId, IReadOnlyList<string> attachedVolumeKeys);
}

/// <summary>The image being captured and the Job that tracks the capture.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineCaptureResult")]
public sealed record MachineCaptureResult([property: Id(0)] MachineImage Image, [property: Id(1)] Job Job);
