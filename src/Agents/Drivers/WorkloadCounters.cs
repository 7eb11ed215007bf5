namespace CimiGrains.Agents.Drivers;

/// <summary>
/// What the host accounts to one running workload at <see cref="At"/>: cumulative CPU time and I/O bytes
/// (the agent turns them into rates between two readings) and memory in use now. A counter the driver
/// cannot read is null, and its aspect is not sampled.
/// </summary>
public sealed record WorkloadCounters(
    string MachineKey,
    DateTimeOffset At,
    long? CpuNanoseconds,
    long? MemoryBytes,
    long? DiskReadBytes,
    long? DiskWriteBytes,
    long? NetworkReceivedBytes,
    long? NetworkTransmittedBytes);
