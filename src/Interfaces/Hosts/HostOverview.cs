namespace CimiGrains.Hosts;

/// <summary>
/// One host as an operator sees it (<c>GET /admin/hosts</c>): whether its agent is connected, what it
/// offers (drivers, and labels such as <c>qemu.accelerator</c> that its drivers and its operator set), its
/// totals, the allocation ratios placement applies to it (and whose they are), what that makes its
/// capacity, and how much of it the Machines placed there (and placements not yet confirmed) use.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.HostOverview")]
public sealed record HostOverview(
    [property: Id(0)] string HostId,
    [property: Id(1)] bool Connected,
    [property: Id(2)] DateTimeOffset? ReconnectingUntil,
    [property: Id(3)] IReadOnlyList<string> Drivers,
    [property: Id(4)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(5)] string? AgentVersion,
    [property: Id(6)] int Cpu,
    [property: Id(7)] long MemoryKiB,
    [property: Id(8)] long DiskKiB,
    [property: Id(9)] double CpuAllocationRatio,
    [property: Id(10)] bool CpuAllocationRatioFromHost,
    [property: Id(11)] double MemoryAllocationRatio,
    [property: Id(12)] bool MemoryAllocationRatioFromHost,
    [property: Id(13)] double CpuCapacity,
    [property: Id(14)] long MemoryCapacityKiB,
    [property: Id(15)] double UsedCpu,
    [property: Id(16)] long UsedMemoryKiB,
    [property: Id(17)] long UsedDiskKiB,
    [property: Id(18)] int Machines,
    [property: Id(19)] DateTimeOffset LastReported,
    [property: Id(20)] long VolumePoolKiB = 0,
    [property: Id(21)] long UsedVolumePoolKiB = 0,
    [property: Id(22)] int Volumes = 0);
