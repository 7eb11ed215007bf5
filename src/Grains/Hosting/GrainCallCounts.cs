using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace CimiGrains.Grains.Hosting;

/// <summary>
/// Counts the grain calls this silo's grains receive, per grain interface: the control plane's cost in calls, which
/// the benchmarks report per component created (docs/BENCHMARKS.md) and operators read at <c>GET /admin/grain-calls</c>
/// or through the <c>CimiGrains</c> meter (instrument <c>cimigrains-grain-calls</c>, tag <c>interface</c>). Every
/// call into a grain is counted once where it runs, whether it came from the HTTP binding, an agent session or
/// another grain; a grain timer's tick (<c>IGrainTimerInvoker</c>) and calls to the reminder service
/// (<c>IReminderService</c>) pass the same filter and are counted under those names.
/// </summary>
public sealed class GrainCallCounts : IIncomingGrainCallFilter, IDisposable
{
    public const string MeterName = "CimiGrains";

    private readonly ConcurrentDictionary<string, Tally> _byInterface = new(StringComparer.Ordinal);
    private readonly Meter _meter;
    private readonly Counter<long> _calls;

    public GrainCallCounts(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _calls = _meter.CreateCounter<long>("cimigrains-grain-calls", "{call}", "Calls received by this silo's grains");
    }

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var name = context.InterfaceName;
        // A lock-free increment per call: the filter sits on every call, so it must cost next to nothing.
        Interlocked.Increment(ref _byInterface.GetOrAdd(name, static _ => new Tally()).Value);
        if (_calls.Enabled) _calls.Add(1, new KeyValuePair<string, object?>("interface", name));
        await context.Invoke();
    }

    /// <summary>Calls received since the silo started, per grain interface (its full name).</summary>
    public IReadOnlyDictionary<string, long> Snapshot() =>
        _byInterface.ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value), StringComparer.Ordinal);

    public void Dispose() => _meter.Dispose();

    private sealed class Tally
    {
        public long Value;
    }
}
