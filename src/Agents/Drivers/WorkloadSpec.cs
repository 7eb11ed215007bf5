namespace CimiGrains.Agents.Drivers;

/// <summary>What to run for a Machine. Memory is in KiB, as CIMI counts it. <see cref="Disks"/> are the
/// disks its MachineConfiguration gives it beyond the boot disk (null from clusters that send none).</summary>
public sealed record WorkloadSpec(
    string ImageLocation,
    int Cpu,
    long MemoryKiB,
    string TenantId,
    string? AdminUserName,
    string? AdminPassword,
    string? AdminKey,
    string? UserData,
    bool Start,
    IReadOnlyList<WorkloadDisk>? Disks = null);

/// <summary>One disk of a MachineConfiguration: its capacity in KiB (CIMI's KB), its format as CIMI names
/// it (e.g. <c>ext4</c>, <c>qcow2</c>, or null) and where the consumer asked it to appear (<c>initialLocation</c>).</summary>
public sealed record WorkloadDisk(long CapacityKiB, string? Format, string? InitialLocation);
