using System.Globalization;
using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Qemu;

public sealed partial class QemuDriver
{
    /// <summary>Linux's USER_HZ, the unit of /proc/&lt;pid&gt;/stat's CPU times (100 on every mainstream architecture).</summary>
    private const long ClockTicksPerSecond = 100;

    /// <summary>
    /// Each running VM's counters as the host sees its QEMU process: CPU time (utime + stime of
    /// /proc/&lt;pid&gt;/stat, which covers every vCPU thread), resident memory (VmRSS), and the bytes the
    /// process read from and wrote to storage (/proc/&lt;pid&gt;/io), which for a VM is its disks' I/O.
    /// Network counters are not read yet (the tap's counters: docs/METERS.md, "Missing").
    /// </summary>
    public Task<IReadOnlyList<WorkloadCounters>> ReadCountersAsync(CancellationToken ct)
    {
        var readings = new List<WorkloadCounters>();
        foreach (var monitor in _monitors.Values)
        {
            if (monitor.Qmp.Closed.IsCompleted) continue;
            try
            {
                var stat = File.ReadAllText($"/proc/{monitor.Pid}/stat");
                // The fields after the command name, which is in parentheses and may hold spaces.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                readings.Add(new WorkloadCounters(monitor.MachineKey, DateTimeOffset.UtcNow, ticks * (1_000_000_000 / ClockTicksPerSecond),
                    ProcField($"/proc/{monitor.Pid}/status", "VmRSS:") * 1024, ProcField($"/proc/{monitor.Pid}/io", "read_bytes:"),
                    ProcField($"/proc/{monitor.Pid}/io", "write_bytes:"), null, null));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // The VM exited between the list and the read: no reading this round.
            }
        }
        return Task.FromResult<IReadOnlyList<WorkloadCounters>>(readings);
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
