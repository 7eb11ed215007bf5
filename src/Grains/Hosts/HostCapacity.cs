using System.Globalization;
using CimiGrains.Hosts;

namespace CimiGrains.Grains.Hosts;

/// <summary>
/// What a host can take under its allocation ratios, and what of it is free. CPU and memory are
/// multiplied by the host's ratio (its agent's override, else the deployment's); disk is never
/// overcommitted and is accounted only when the agent reported a disk size.
/// </summary>
public sealed record HostCapacity(
    HostInfo Host,
    double CpuRatio,
    bool CpuRatioFromHost,
    double MemoryRatio,
    bool MemoryRatioFromHost,
    double FreeCpu,
    long FreeMemoryKiB,
    long FreeDiskKiB)
{
    /// <summary>Virtual CPUs the host may carry.</summary>
    public double Cpu => Host.Cpu * CpuRatio;

    /// <summary>Memory the host may promise, KiB.</summary>
    public long MemoryKiB => (long)Math.Floor(Host.MemoryKiB * MemoryRatio);

    /// <summary>The capacity of <paramref name="host"/> with <paramref name="used"/> already placed on it.</summary>
    public static HostCapacity Of(HostInfo host, HostSchedulingOptions options, IReadOnlyCollection<MachineShare> used)
    {
        var cpuRatio = host.CpuAllocationRatio ?? options.CpuAllocationRatio;
        var memoryRatio = host.MemoryAllocationRatio ?? options.MemoryAllocationRatio;
        var capacity = new HostCapacity(host, cpuRatio, host.CpuAllocationRatio is not null,
            memoryRatio, host.MemoryAllocationRatio is not null, 0, 0, 0);
        return capacity with
        {
            FreeCpu = capacity.Cpu - used.Sum(u => u.Cpu),
            FreeMemoryKiB = capacity.MemoryKiB - used.Sum(u => u.MemoryKiB),
            FreeDiskKiB = host.DiskKiB - used.Sum(u => u.DiskKiB),
        };
    }

    /// <summary>Whether <paramref name="request"/> fits in what is free.</summary>
    public bool Fits(PlacementRequest request) =>
        FreeCpu >= request.Cpu && FreeMemoryKiB >= request.MemoryKiB && (Host.DiskKiB <= 0 || FreeDiskKiB >= request.DiskKiB);

    /// <summary>What is free, and under which ratios, for a "no host is available" message.</summary>
    public string Describe()
    {
        var text = $"'{Host.HostId}' has {Number(FreeCpu)} of {Number(Cpu)} CPU free ({Host.Cpu} CPU at CPU allocation ratio " +
            $"{Number(CpuRatio)}, {Source(CpuRatioFromHost)}) and {FreeMemoryKiB} of {MemoryKiB} KiB of memory free " +
            $"({Host.MemoryKiB} KiB at memory allocation ratio {Number(MemoryRatio)}, {Source(MemoryRatioFromHost)})";
        return Host.DiskKiB > 0 ? $"{text}, {FreeDiskKiB} of {Host.DiskKiB} KiB of disk free" : text;
    }

    private static string Source(bool fromHost) => fromHost ? "the host's own" : "the deployment's";

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
