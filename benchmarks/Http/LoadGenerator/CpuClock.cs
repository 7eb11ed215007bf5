using System.Globalization;

namespace CimiGrains.Benchmarks.LoadGenerator;

/// <summary>
/// CPU time from /proc, sampled around each measurement: of the server process under test, of this
/// generator, and of the whole machine. Divided by the requests served it says where the two cores
/// went (server, generator, everything else: PostgreSQL, mostly) without a profiler on the machine.
/// </summary>
internal readonly record struct CpuClock(double ServerSeconds, double GeneratorSeconds, double MachineBusySeconds)
{
    // /proc counts in USER_HZ, 100 on every Linux this runs on.
    private const double TicksPerSecond = 100;

    public static CpuClock Read(int? serverPid) => new(
        serverPid is { } pid ? ProcessSeconds(pid) : double.NaN,
        ProcessSeconds(Environment.ProcessId),
        MachineBusy());

    public static CpuClock operator -(CpuClock a, CpuClock b) =>
        new(a.ServerSeconds - b.ServerSeconds, a.GeneratorSeconds - b.GeneratorSeconds, a.MachineBusySeconds - b.MachineBusySeconds);

    private static double ProcessSeconds(int pid)
    {
        try
        {
            // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }

    private static double MachineBusy()
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal: busy is user+nice+system+irq+softirq. Steal
            // is time the hypervisor gave to other guests, not work done here.
            var busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6];
            return busy / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return double.NaN;
        }
    }
}
