namespace CimiGrains.Hosts;

/// <summary>
/// One host (agent), keyed by host id. Machine grains send it commands; it forwards them to the
/// connected agent and the agent's results come back to the Machine as <see cref="HostReport"/>s.
/// </summary>
public interface IHostGrain : IGrainWithStringKey
{
    /// <summary>Queues a command for the agent; returns once the host has accepted it.
    /// Fails with Unavailable when the agent is not connected.</summary>
    Task Submit(HostCommand command);
}
