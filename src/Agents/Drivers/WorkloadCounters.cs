namespace CimiGrains.Agents.Drivers;

/// <summary>
/// What the host accounts to one running workload at <see cref="At"/>: cumulative CPU time and I/O bytes
/// (the agent turns them into rates between two readings) and memory in use now. A counter the driver
/// cannot read is null, and its aspect is not sampled. <see cref="Volumes"/> is the I/O the workload did on each of
/// its attached Volumes through its own devices (null when the driver has none to report, or could not read them
/// this time): the agent adds it to those Volumes' own aspects.
/// </summary>
public sealed record WorkloadCounters(
    string MachineKey,
    DateTimeOffset At,
    long? CpuNanoseconds,
    long? MemoryBytes,
    long? DiskReadBytes,
    long? DiskWriteBytes,
    long? NetworkReceivedBytes,
    long? NetworkTransmittedBytes,
    IReadOnlyList<VolumeIo>? Volumes = null);
