namespace CimiGrains.Grains.Hosts;

/// <summary>How the host scheduler places Machines.</summary>
public sealed class HostSchedulingOptions
{
    /// <summary>
    /// How long placements and operations wait for hosts that are expected back rather than fail
    /// (<c>CIMI_HOST_RECONNECT_GRACE_SECONDS</c>). It runs from three moments: a scheduler's activation
    /// (right after a cluster start, or after the scheduler moves to another silo, it has not yet heard
    /// from hosts whose agents are reconnecting, and "no host" would be a statement about its memory);
    /// a known host's session dropping (its agent restarting, or the silo holding its stream dying);
    /// and a known host's grain reactivating without a session (it moved with a dead silo). An
    /// operation a host had not confirmed when it went away waits as long for the host's inventory.
    /// Zero fails at once.
    /// </summary>
    public TimeSpan ReconnectGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many virtual CPUs one host CPU may carry (<c>CIMI_CPU_ALLOCATION_RATIO</c>), unless the host's
    /// agent sets its own. Machines rarely keep their CPUs busy, so clouds overcommit CPU; 4.0 is
    /// OpenStack's default. 1.0 reserves whole CPUs.
    /// </summary>
    public double CpuAllocationRatio { get; set; } = DefaultCpuAllocationRatio;

    /// <summary>
    /// How much memory may be promised per KiB a host has (<c>CIMI_MEMORY_ALLOCATION_RATIO</c>), unless the
    /// host's agent sets its own. 1.0 (no overcommit) by default: memory a Machine touches is not given back.
    /// </summary>
    public double MemoryAllocationRatio { get; set; } = DefaultMemoryAllocationRatio;

    public const double DefaultCpuAllocationRatio = 4.0;
    public const double DefaultMemoryAllocationRatio = 1.0;
}
