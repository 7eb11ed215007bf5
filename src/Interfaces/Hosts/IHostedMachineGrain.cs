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
}

/// <summary>The image being captured and the Job that tracks the capture.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineCaptureResult")]
public sealed record MachineCaptureResult([property: Id(0)] MachineImage Image, [property: Id(1)] Job Job);
