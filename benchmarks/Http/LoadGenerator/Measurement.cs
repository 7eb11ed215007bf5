namespace CimiGrains.Benchmarks.LoadGenerator;

/// <summary>
/// One measured round of one scenario. Latencies are kept whole and sorted (an exact histogram: a
/// round is bounded to a few hundred thousand requests, so the array is a few MB at most).
/// </summary>
internal sealed record Measurement(string Scenario, int Round, long Requests, long Errors, double Seconds, long[] SortedTicks, CpuClock Cpu)
{
    /// <summary>CPU of the server process per request, in microseconds.</summary>
    public double ServerCpuUs => Cpu.ServerSeconds * 1e6 / Requests;

    /// <summary>CPU of this generator per request, in microseconds.</summary>
    public double GeneratorCpuUs => Cpu.GeneratorSeconds * 1e6 / Requests;

    /// <summary>CPU of everything else on the machine (PostgreSQL, the kernel's share for other processes) per request.</summary>
    public double OtherCpuUs => (Cpu.MachineBusySeconds - Cpu.GeneratorSeconds - (double.IsNaN(Cpu.ServerSeconds) ? 0 : Cpu.ServerSeconds)) * 1e6 / Requests;

    /// <summary>How busy the machine's cores were, in cores.</summary>
    public double BusyCores => Cpu.MachineBusySeconds / Seconds;

    public double Throughput => Requests / Seconds;

    public double P50Ms => PercentileMs(0.50);

    public double P90Ms => PercentileMs(0.90);

    public double P99Ms => PercentileMs(0.99);

    public double MaxMs => SortedTicks.Length == 0 ? double.NaN : ToMs(SortedTicks[^1]);

    /// <summary>Nearest-rank percentile: the smallest sample with at least p of all samples at or below it.</summary>
    public double PercentileMs(double p)
    {
        if (SortedTicks.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p * SortedTicks.Length) - 1;
        return ToMs(SortedTicks[Math.Clamp(rank, 0, SortedTicks.Length - 1)]);
    }

    private static double ToMs(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
}
