namespace CimiGrains.Grains.Hosts;

/// <summary>How the host scheduler places Machines.</summary>
public sealed class HostSchedulingOptions
{
    /// <summary>
    /// How long a newly activated scheduler lets placements wait for hosts rather than fail. Its
    /// registry is soft state: right after a cluster (re)starts, or after the scheduler moves to another
    /// silo, it has not yet heard from hosts whose agents are reconnecting, and "no host" would be a
    /// statement about its memory, not about the cluster. Zero fails at once.
    /// </summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(30);
}
