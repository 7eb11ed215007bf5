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
    double MemoryRatio,
    double FreeCpu,
    long FreeMemoryKiB,
    long FreeDiskKiB)
{
    /// <summary>Whether the CPU ratio is the host's own (its agent's override), not the deployment's.</summary>
    public bool CpuRatioFromHost => Host.CpuAllocationRatio is not null;

    /// <summary>Whether the memory ratio is the host's own, not the deployment's.</summary>
    public bool MemoryRatioFromHost => Host.MemoryAllocationRatio is not null;

    /// <summary>Virtual CPUs the host may carry.</summary>
    public double Cpu => Host.Cpu * CpuRatio;

    /// <summary>Memory the host may promise, KiB.</summary>
    public long MemoryKiB => (long)Math.Floor(Host.MemoryKiB * MemoryRatio);

    /// <summary>The capacity of <paramref name="host"/> with <paramref name="used"/> already placed on it.</summary>
    public static HostCapacity Of(HostInfo host, HostSchedulingOptions options, IReadOnlyCollection<MachineShare> used)
    {
        var capacity = new HostCapacity(host, host.CpuAllocationRatio ?? options.CpuAllocationRatio,
            host.MemoryAllocationRatio ?? options.MemoryAllocationRatio, 0, 0, 0);
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
