using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace CimiGrains.Benchmarks.LoadGenerator;

/// <summary>
/// Closed-loop load: <c>--concurrency</c> workers each send a request, read the whole body, and send
/// the next. Scenarios run one after another within a round, and the starting scenario rotates every
/// round, so slow drift of a noisy machine (other tenants, thermal, GC state) spreads over all of them
/// instead of penalising whichever always runs last. The summary is the median over rounds.
/// </summary>
internal static class LoadRunner
{
    public static async Task<int> RunAsync(CommandLine line)
    {
        var scenarios = line.All("scenario").Select(Scenario.Parse).ToList();
        if (scenarios.Count == 0) throw new ArgumentException("Give at least one --scenario.");
        var concurrency = line.Int("concurrency", 32);
        var warmup = TimeSpan.FromSeconds(line.Double("warmup", 3));
        var duration = TimeSpan.FromSeconds(line.Double("duration", 10));
        var maxRequests = line.Int("max-requests", 500_000);
        var rounds = line.Int("rounds", 3);
        var ids = line.Get("ids") is { } idsFile ? File.ReadAllLines(idsFile).Where(l => l.Length > 0).ToArray() : [];
        if (scenarios.Any(s => s.Url.Contains("{id}", StringComparison.Ordinal)) && ids.Length == 0)
            throw new ArgumentException("A scenario uses {id} but --ids names no ids.");
        var credentials = Loopback.Basic(line.Get("user"));
        var pids = line.All("pid").Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));

        using var client = Loopback.Client(concurrency);
        Console.WriteLine($"{scenarios.Count} scenarios, {concurrency} workers, warmup {warmup.TotalSeconds:0.#} s, " +
            $"{duration.TotalSeconds:0.#} s or {maxRequests} requests per measurement, {rounds} rounds");
        var results = new List<Measurement>();
        for (var round = 1; round <= rounds; round++)
        {
            for (var k = 0; k < scenarios.Count; k++)
            {
                var scenario = scenarios[(k + round - 1) % scenarios.Count];
                var auth = scenario.Anonymous ? null : credentials;
                int? pid = scenario.Server is { } server ? pids[server] : null;
                await DriveAsync(client, scenario, auth, ids, concurrency, warmup, int.MaxValue, round, record: false, pid);
                var m = await DriveAsync(client, scenario, auth, ids, concurrency, duration, maxRequests, round, record: true, pid);
                results.Add(m);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round} {scenario.Name,-22} {m.Throughput,9:0} req/s  p50 {m.P50Ms,7:0.00} ms  p90 {m.P90Ms,7:0.00} ms  " +
                    $"p99 {m.P99Ms,7:0.00} ms  max {m.MaxMs,7:0.0} ms  n={m.Requests} errors={m.Errors}  " +
                    $"cpu/req: server {m.ServerCpuUs:0} us, generator {m.GeneratorCpuUs:0} us, other {m.OtherCpuUs:0} us; busy {m.BusyCores:0.00} cores"));
            }
        }

        var table = Summarize(scenarios, results, concurrency, rounds);
        Console.WriteLine();
        Console.WriteLine(table);
        if (line.Get("markdown") is { } markdown) await File.WriteAllTextAsync(markdown, table);
        return results.Any(r => r.Errors > 0) ? 1 : 0;
    }

    private static async Task<Measurement> DriveAsync(
        HttpClient client, Scenario scenario, AuthenticationHeaderValue? auth, string[] ids,
        int concurrency, TimeSpan limit, long maxRequests, int round, bool record, int? serverPid)
    {
        long issued = 0, errors = 0;
        var perWorker = new List<long>[concurrency];
        var cpuBefore = CpuClock.Read(serverPid);
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var latencies = perWorker[w] = new List<long>(record ? 16_384 : 0);
            var buffer = new byte[64 * 1024];
            var random = new Random(w * 7919 + round);
            while (Stopwatch.GetTimestamp() < deadline && Interlocked.Increment(ref issued) <= maxRequests)
            {
                var url = ids.Length == 0 ? scenario.Url : scenario.Url.Replace("{id}", ids[random.Next(ids.Length)], StringComparison.Ordinal);
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.Authorization = auth;
                var t0 = Stopwatch.GetTimestamp();
                var ok = false;
                try
                {
                    // Headers first, then the body through a reused buffer: the latency covers the whole
                    // answer, and the generator does not allocate a copy of every page it reads.
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    await using var body = await response.Content.ReadAsStreamAsync();
                    while (await body.ReadAsync(buffer) > 0) { }
                    ok = (int)response.StatusCode == scenario.ExpectedStatus;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    ok = false;
                }
                var elapsed = Stopwatch.GetTimestamp() - t0;
                if (!ok) Interlocked.Increment(ref errors);
                if (record) latencies.Add(elapsed);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = CpuClock.Read(serverPid) - cpuBefore;
        var all = perWorker.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new Measurement(scenario.Name, round, all.Length, errors, seconds, all, cpu);
    }

    private static string Summarize(List<Scenario> scenarios, List<Measurement> results, int concurrency, int rounds)
    {
        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        var medians = scenarios.ToDictionary(s => s.Name, s =>
        {
            var mine = results.Where(r => r.Scenario == s.Name).ToList();
            return (Rps: Median(mine.Select(r => r.Throughput)), P50: Median(mine.Select(r => r.P50Ms)),
                P99: Median(mine.Select(r => r.P99Ms)), P99Min: mine.Min(r => r.P99Ms), P99Max: mine.Max(r => r.P99Ms),
                Errors: mine.Sum(r => r.Errors), Server: Median(mine.Select(r => r.ServerCpuUs)),
                Other: Median(mine.Select(r => r.OtherCpuUs)), Generator: Median(mine.Select(r => r.GeneratorCpuUs)));
        });
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"Medians of {rounds} rounds, {concurrency} concurrent clients (p99 range over rounds in brackets; ratio = this / its baseline)");
        sb.AppendLine();
        sb.AppendLine("| scenario | req/s | p50 ms | p99 ms | p99 range ms | errors | server CPU µs/req | other CPU µs/req | generator CPU µs/req | baseline | req/s ratio | p50 ratio | p99 ratio |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|");
        foreach (var s in scenarios)
        {
            var m = medians[s.Name];
            var ratio = s.Versus is { } v && medians.TryGetValue(v, out var b)
                ? string.Create(CultureInfo.InvariantCulture, $"{v} | {m.Rps / b.Rps:0.00}x | {m.P50 / b.P50:0.0}x | {m.P99 / b.P99:0.0}x")
                : "– | | |";
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Name} | {m.Rps:0} | {m.P50:0.00} | {m.P99:0.00} | {m.P99Min:0.0}–{m.P99Max:0.0} | {m.Errors} | {m.Server:0} | {m.Other:0} | {m.Generator:0} | {ratio} |");
        }
        return sb.ToString();
    }
}
