using CimiGrains.Hosts;
using CimiGrains.Machines;

namespace CimiGrains.Gateway.Agents;

/// <summary>
/// DSP0263 capture: a MachineImage POSTed with an <c>imageLocation</c> that is a Machine's id (absolute
/// or relative) asks that Machine's host to capture it. A Docker image that happens to be named
/// <c>machines/x</c> is registered as <c>docker:machines/x</c> instead.
/// </summary>
public static class MachineCaptureApi
{
    /// <summary>202 with the capture's Job, or null when <paramref name="document"/> is a plain registration.</summary>
    public static async Task<CimiResult?> TryCaptureAsync(CimiRequest request, MachineImage document)
    {
        if (document.ImageLocation is not { } location) return null;
        var machineLocalId = ResourceKind.Machine.LocalIdOf(request.BaseUri.Relative(location));
        if (machineLocalId is null) return null;
        var machine = request.Grain<IHostedMachineGrain>(machineLocalId);
        var result = await machine.Capture(document, CimiRequest.NewLocalId(), CimiRequest.NewLocalId());
        return request.Accepted(result.Image, result.Job);
    }
}
