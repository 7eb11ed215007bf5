using System.Diagnostics;
using CimiGrains.Tests.Http;
using Xunit.Abstractions;

namespace CimiGrains.Tests.Cluster;

/// <summary>A request that needs a silo which has just died is answered soon: served, or 503 with Retry-After.</summary>
public sealed class DeadSiloTests(ITestOutputHelper output)
{
    /// <summary>
    /// The longest a request may wait after its silo died. Orleans' defaults (3 missed probes of 5 s before
    /// the silo is declared dead and its calls fail) made requests hang ~14-15 s; the cluster's settings
    /// declare it dead after ~6 s.
    /// </summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(11);

    [Fact]
    public async Task Requests_waiting_on_a_killed_silo_are_answered_within_a_bound_and_503s_carry_Retry_After()
    {
        var postgres = await TestDatabase.CreateAsync("deadsilo");
        await using var a = await GatewayProcess.StartAsync(postgres);
        await using var b = await GatewayProcess.StartAsync(postgres);
        using var viaB = await Tenants.CreateAsync(b);
        using var viaA = a.Client(viaB.User, Tenants.Password);

        // Resources whose grains (and directory entries) are spread over both silos.
        var ids = new List<string>();
        for (var i = 0; i < 24; i++)
            ids.Add((await CimiDocs.Created(i % 2 == 0 ? viaA : viaB, "machineConfigs", CimiDocs.Configuration(i + 1)))[viaB.Cimi.Length..]);

        // Clients keep reading through the survivor while the other silo is killed: the requests in
        // flight to it at that moment, and those that need its activations or its part of the grain
        // directory before the cluster has noticed, wait for the cluster to declare it dead.
        var timed = new System.Collections.Concurrent.ConcurrentBag<(string Id, CimiResponse Response, TimeSpan Elapsed)>();
        var killed = new TaskCompletionSource();
        var load = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var stopAt = DateTime.MaxValue;
            for (var i = worker; DateTime.UtcNow < stopAt; i++)
            {
                var id = ids[i % ids.Count];
                var clock = Stopwatch.StartNew();
                var response = await viaB.GetAsync(id);
                timed.Add((id, response, clock.Elapsed));
                if (killed.Task.IsCompleted && stopAt == DateTime.MaxValue) stopAt = DateTime.UtcNow.AddSeconds(2);
            }
        })).ToList();
        await Eventually.Until(() => Task.FromResult(timed.Count), n => n >= 16, "the readers to be under way");
        await a.KillAsync();
        killed.SetResult();
        await Task.WhenAll(load);
        var summary = string.Join("\n", timed.OrderByDescending(t => t.Elapsed).Take(40)
            .Select(t => $"{t.Elapsed.TotalSeconds,5:0.0} s  {t.Response.Code}  Retry-After={t.Response.Header("Retry-After") ?? "-"}  {t.Id}"));
        output.WriteLine(summary);
        Assert.True(timed.All(t => t.Elapsed < Bound), $"{timed.Count} requests around the kill, slowest first (bound {Bound.TotalSeconds} s):\n{summary}");
        Assert.True(timed.All(t => t.Response.Code is 200 or 503), $"Only 200 or 503 may answer:\n{summary}");
        Assert.True(timed.All(t => t.Response.Code != 503 || t.Response.Header("Retry-After") is { Length: > 0 }),
            $"Every 503 must carry Retry-After:\n{summary}");
        // And the survivor serves all of them once it has taken over.
        foreach (var id in ids)
            await Eventually.Until(() => viaB.GetAsync(id), r => r.Code == 200, $"{id} to be served by the survivor", TimeSpan.FromSeconds(60));
    }
}
