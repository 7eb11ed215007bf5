using CimiGrains.Hosts;

namespace CimiGrains.Grains.Hosts;

/// <summary>
/// One host. Until an agent has connected for this host id there is nobody to carry a command out,
/// so a command is refused as Unavailable and the Machine's Job fails saying so.
/// </summary>
public sealed class HostGrain : Grain, IHostGrain
{
    public Task Submit(HostCommand command) =>
        throw new CimiException(CimiErrorKind.Unavailable, $"no agent is connected for host '{this.GetPrimaryKeyString()}'.");
}
