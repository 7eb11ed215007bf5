using System.Globalization;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Networks;

namespace CimiGrains.Agents.Qemu;

public sealed partial class QemuDriver
{
    /// <summary>Linux's USER_HZ, the unit of /proc/&lt;pid&gt;/stat's CPU times (100 on every mainstream architecture).</summary>
    private const long ClockTicksPerSecond = 100;

    /// <summary>How long a VM's monitor has to answer <c>query-blockstats</c> (its turn on the connection included) before
    /// the VM gives no disk reading that round: sampling runs every period for every VM and must not wait on one.</summary>
    private static readonly TimeSpan BlockStatsTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Each running VM's counters, all VMs at once: CPU time (utime + stime of /proc/&lt;pid&gt;/stat, which covers every
    /// vCPU thread) and resident memory (VmRSS) of its QEMU process; its guest's disk I/O from QMP
    /// <c>query-blockstats</c> on the VM's one monitor connection (<see cref="BlockStats"/>), which also gives each
    /// attached Volume's share; and its network I/O as the sum of its taps' counters (<see cref="LinkCounters"/>, the
    /// taps the record names: those QEMU holds, adopted VMs' too). A VM whose monitor does not answer within
    /// <see cref="BlockStatsTimeout"/> has no disk reading that round, and one with a tap that cannot be read no network
    /// reading: a partial sum would look like a counter going back, then jumping by what was missed.
    /// </summary>
    public async Task<IReadOnlyList<WorkloadCounters>> ReadCountersAsync(CancellationToken ct)
    {
        var readings = await Task.WhenAll(_monitors.Values.Where(m => !m.Qmp.Closed.IsCompleted).Select(m => ReadCountersAsync(m, ct)));
        return [.. readings.OfType<WorkloadCounters>()];
    }

    private async Task<WorkloadCounters?> ReadCountersAsync(Monitor monitor, CancellationToken ct)
    {
        var record = DirectoryOf(monitor.MachineKey).Record;
        var disks = BlockStatsAsync(monitor, record, ct);
        WorkloadCounters process;
        try
        {
            var stat = File.ReadAllText($"/proc/{monitor.Pid}/stat");
            // The fields after the command name, which is in parentheses and may hold spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var network = TapCounters(record);
            process = new WorkloadCounters(monitor.MachineKey, DateTimeOffset.UtcNow, ticks * (1_000_000_000 / ClockTicksPerSecond),
                ProcField($"/proc/{monitor.Pid}/status", "VmRSS:") * 1024, null, null, network?.WorkloadReceivedBytes, network?.WorkloadTransmittedBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // The VM exited between the list and the read: no reading this round.
            await disks;
            return null;
        }
        return await disks is { } io ? process with { DiskReadBytes = io.ReadBytes, DiskWriteBytes = io.WriteBytes, Volumes = io.Volumes } : process;
    }

    /// <summary>The VM's block statistics, or null when its monitor does not answer in time (or the VM is going).</summary>
    private static async Task<BlockStats?> BlockStatsAsync(Monitor monitor, MachineRecord? record, CancellationToken ct)
    {
        if (record is null) return null;
        try
        {
            return BlockStats.Of(await monitor.Qmp.ExecuteAsync("query-blockstats", null, ct, BlockStatsTimeout), record.Volumes);
        }
        catch (DriverException)
        {
            return null;
        }
    }

    /// <summary>The sum of the counters of the VM's taps (none: zero), or null when one of them cannot be read.</summary>
    private static LinkCounters? TapCounters(MachineRecord? record)
    {
        if (record is null) return null;
        var sum = new LinkCounters(0, 0, 0, 0);
        foreach (var nic in record.NetworkInterfaces)
        {
            if (nic.Tap is not { } tap || LinkCounters.Read(tap) is not { } counters) return null;
            sum = sum.Plus(counters);
        }
        return sum;
    }

    /// <summary>The first number after <paramref name="key"/> in a /proc key-value file, or null.</summary>
    private static long? ProcField(string path, string key)
    {
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var number = line[key.Length..].Trim().Split(' ')[0];
            return long.TryParse(number, CultureInfo.InvariantCulture, out var value) ? value : null;
        }
        return null;
    }
}
