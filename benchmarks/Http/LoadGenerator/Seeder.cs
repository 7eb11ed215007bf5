using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace CimiGrains.Benchmarks.LoadGenerator;

/// <summary>
/// Brings the caller's Machine collection up to <c>--count</c> (only the missing ones are created, so
/// a re-run is cheap), waits until no Machine is still CREATING (without a host agent each create's
/// Job fails and leaves the Machine in ERROR), then writes the Machines' local ids and the gateway's
/// answers to the benchmarked URLs, which the bare endpoint serves byte for byte.
/// </summary>
internal static class Seeder
{
    public static async Task<int> RunAsync(CommandLine line)
    {
        var baseUri = line.Required("base").TrimEnd('/') + "/";
        Loopback.Check(baseUri);
        var count = line.Int("count", 10_000);
        var concurrency = line.Int("concurrency", 16);
        var outDir = line.Get("out") ?? ".";
        var deadline = Stopwatch.StartNew();
        var timeout = TimeSpan.FromSeconds(line.Double("timeout", 900));
        Directory.CreateDirectory(outDir);

        using var client = Loopback.Client(concurrency);
        client.DefaultRequestHeaders.Authorization = Loopback.Basic(line.Required("user"));

        var existing = (await GetJsonAsync(client, $"{baseUri}machines?$first=1&$last=0")).GetProperty("count").GetInt64();
        var next = existing;
        long failures = 0;
        Console.WriteLine($"seed: {existing} Machines exist, creating {Math.Max(0, count - existing)} with {concurrency} workers");
        var templateHref = $"{baseUri}machineTemplates/demo";
        var creators = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            long n;
            while ((n = Interlocked.Increment(ref next)) <= count)
            {
                if (deadline.Elapsed > timeout) throw new TimeoutException($"Seeding took longer than {timeout}.");
                var body = $$$"""{"name":"bench-{{{n}}}","machineTemplate":{"href":"{{{templateHref}}}"}}""";
                using var response = await client.PostAsync($"{baseUri}machines", new StringContent(body, Encoding.UTF8, "application/json"));
                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    // A few failures are reported and tolerated; many mean the gateway is unwell.
                    if (Interlocked.Increment(ref failures) > 20)
                        throw new InvalidOperationException($"Too many failed creates; last: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                }
                if (n % 1000 == 0) Console.WriteLine($"seed: {n} created after {deadline.Elapsed.TotalSeconds:0} s");
            }
        })).ToArray();
        await Task.WhenAll(creators);
        if (failures > 0) Console.WriteLine($"seed: {failures} creates failed; re-run to fill the gap");

        // Reads are measured on a quiet collection: every create's failing Job must have settled.
        string[] ids;
        while (true)
        {
            var machines = await ListAllAsync(client, baseUri);
            var creating = machines.Count(m => m.State == "CREATING");
            ids = machines.Select(m => m.Id[(m.Id.LastIndexOf('/') + 1)..]).ToArray();
            if (creating == 0) break;
            if (deadline.Elapsed > timeout) throw new TimeoutException($"{creating} Machines were still CREATING after {timeout}.");
            Console.WriteLine($"seed: waiting for {creating} Machines to leave CREATING");
            await Task.Delay(1000);
        }
        Console.WriteLine($"seed: {ids.Length} Machines settled after {deadline.Elapsed.TotalSeconds:0} s");
        if (ids.Length < count) throw new InvalidOperationException($"Only {ids.Length} of {count} Machines exist.");

        await File.WriteAllLinesAsync(Path.Combine(outDir, "machine-ids.txt"), ids);
        await File.WriteAllTextAsync(Path.Combine(outDir, "machine-id.txt"), ids[0]);
        await CaptureAsync(client, $"{baseUri}machines/{ids[0]}", Path.Combine(outDir, "machine.json"));
        await CaptureAsync(client, $"{baseUri}machines?$first=1&$last=100", Path.Combine(outDir, "page-first.json"));
        await CaptureAsync(client, $"{baseUri}machines?$first=5001&$last=5100", Path.Combine(outDir, "page-deep.json"));
        return 0;
    }

    private static async Task<List<(string Id, string? State)>> ListAllAsync(HttpClient client, string baseUri)
    {
        var all = new List<(string, string?)>();
        for (var first = 1; ; first += 1000)
        {
            var page = await GetJsonAsync(client, $"{baseUri}machines?$first={first}&$last={first + 999}");
            if (!page.TryGetProperty("machines", out var items)) break;
            foreach (var m in items.EnumerateArray())
                all.Add((m.GetProperty("id").GetString()!, m.TryGetProperty("state", out var s) ? s.GetString() : null));
            if (all.Count >= page.GetProperty("count").GetInt64()) break;
        }
        return all;
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {url}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task CaptureAsync(HttpClient client, string url, string path)
    {
        using var response = await client.GetAsync(url);
        response.EnsureSuccessStatusCode();
        await File.WriteAllBytesAsync(path, await response.Content.ReadAsByteArrayAsync());
    }
}
