namespace CimiGrains.Agents.Drivers;

/// <summary>What to run for a Machine. Memory is in KiB, as CIMI counts it. <see cref="Disks"/> are the
/// disks its MachineConfiguration gives it beyond the boot disk (null from clusters that send none).
/// <see cref="NetworkInterfaces"/>: a Machine with any is made without the engine's own networking, and its
/// driver plugs these through the host's network plane (docs/NETWORKS.md).</summary>
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
    IReadOnlyList<WorkloadDisk>? Disks = null,
    IReadOnlyList<AttachedVolume>? Volumes = null,
    IReadOnlyList<CimiGrains.Agents.Networks.NetworkPlaneInterface>? NetworkInterfaces = null);

/// <summary>One disk of a MachineConfiguration: its capacity in KiB (CIMI's KB), its format as CIMI names
/// it (e.g. <c>ext4</c>, <c>qcow2</c>, or null) and where the consumer asked it to appear (<c>initialLocation</c>).</summary>
public sealed record WorkloadDisk(long CapacityKiB, string? Format, string? InitialLocation);

/// <summary>
/// A Volume a Machine uses, as its driver needs it: the Volume's key, the file on this host that holds it
/// (<see cref="Path"/>, in the volume pool; null when it is on another host and reached over NBD at
/// <see cref="NbdAddress"/>/<see cref="NbdExport"/>), its format (<c>ext4</c>, <c>raw</c>, <c>qcow2</c>), where the
/// consumer asked it to appear, and whether read-only.
/// </summary>
public sealed record AttachedVolume(
    string VolumeKey,
    string? Path,
    string Format,
    string? InitialLocation,
    bool ReadOnly,
    string? NbdAddress = null,
    string? NbdExport = null,
    string? NbdIdentity = null,
    string? NbdPsk = null);
