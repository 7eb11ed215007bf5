using CimiGrains.Agents.Protocol;

namespace CimiGrains.Agents.Drivers;

/// <summary>A workload as its driver sees it. <see cref="Generation"/> is the Machine generation whose
/// create made it (0 when absent). <see cref="Volumes"/>: the keys of the Volumes attached to it now (null:
/// the driver does not say). <see cref="NetworkInterfaces"/>: the ids of the network interfaces the driver keeps for it
/// (plugged whenever the workload runs; null: the driver does not say).</summary>
public sealed record WorkloadStatus(string MachineKey, long Generation, ObservedState State, string? WorkloadId, string? Detail = null,
    IReadOnlyList<string>? Volumes = null, IReadOnlyList<string>? NetworkInterfaces = null)
{
    public static WorkloadStatus Absent(string machineKey) => new(machineKey, 0, ObservedState.Absent, null);
}
