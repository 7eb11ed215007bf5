// Meter benchmarks (docs/BENCHMARKS.md, "Meters"), against a running gateway:
//   ingest HTTP USER PASSWORD AGENT_URL SECRET POSTGRES GATEWAY_PID HOSTS MACHINES_PER_HOST SECONDS
//     SIMULATED hosts: each a real gRPC agent session (Register, empty Inventory) that answers the commands the
//     cluster sends it as if it ran them (a create reports the workload running) and sends one SampleBatch a
//     second for the Machines placed on it (6 aspects each). The Machines are real CIMI Machines, created through
//     the API before the window, so the silo's placement check keeps their samples as it would a real host's.
//     Reports the gateway process's CPU (from /proc/PID/stat) and PostgreSQL's write volume (WAL bytes, rows,
//     table size) over the window.
//   hosts AGENT_URL SECRET HOSTS CPU
//     Only the SIMULATED hosts (sim-0 … sim-N-1, CPU each, no samples), until stopped: the stand-in for agents
//     that benchmarks/Systems/run-simulated.sh measures the control plane's cost against at sizes no real
//     host here can run (1,000 Machines).
//   query HTTP USER PASSWORD POSTGRES CLIENTS REQUESTS
//     One Meter on a Machine, one hour of its samples (3600, written straight into the table, interleaved with
//     BENCH_METER_SERIES - 1 other series as the ingest writes them), read aggregated per minute by CLIENTS
//     concurrent clients once autovacuum has passed; reports p50/p99/max latency.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Protocol;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;

return args[0] switch
{
    "ingest" => await Ingest(args[1], args[2], args[3], args[4], args[5], args[6], int.Parse(args[7]), int.Parse(args[8]), int.Parse(args[9]),
        int.Parse(args[10])),
    "hosts" => await Hosts(args[1], args[2], int.Parse(args[3]), int.Parse(args[4])),
    "query" => await Query(args[1], args[2], args[3], args[4], int.Parse(args[5]), int.Parse(args[6])),
    _ => 2,
};

static async Task<int> Ingest(string http, string user, string password, string agentUrl, string secret, string postgres, int gatewayPid,
    int hosts, int perHost, int seconds)
{
    using var cts = new CancellationTokenSource();
    var placed = Enumerable.Range(0, hosts).Select(_ => new System.Collections.Concurrent.ConcurrentDictionary<string, bool>()).ToList();
    var sessions = Enumerable.Range(0, hosts).Select(h => Task.Run(() => SimulatedHost(agentUrl, secret, $"sim-{h}", placed[h], cts.Token))).ToList();
    await Task.Delay(TimeSpan.FromSeconds(5)); // every session registered (not measured)
    // The Machines, made through the API and placed by the scheduler on the simulated hosts (the only hosts there are).
    using (var client = Cimi(http, user, password))
    {
        var total = hosts * perHost;
        var made = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, total), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var response = await client.PostAsync("machines", new StringContent(new JsonObject
            {
                ["name"] = $"sim-{i}", ["machineTemplate"] = new JsonObject { ["href"] = "machineTemplates/demo" },
            }.ToJsonString(), Encoding.UTF8, "application/json"), ct);
            if ((int)response.StatusCode != 202) throw new InvalidOperationException($"POST machines: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        });
        while (placed.Sum(p => p.Count) < total && made.Elapsed < TimeSpan.FromMinutes(5)) await Task.Delay(500);
        Console.WriteLine($"{placed.Sum(p => p.Count)} of {total} Machines placed on the SIMULATED hosts in {made.Elapsed.TotalSeconds:F0} s");
    }
    await Task.Delay(TimeSpan.FromSeconds(3)); // every session sending for all its Machines (not measured)
    var (walBefore, rowsBefore) = await WalAndRows(postgres);
    var cpuBefore = CpuTicks(gatewayPid);
    var clock = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(seconds));
    var cpu = (CpuTicks(gatewayPid) - cpuBefore) / 100.0 / clock.Elapsed.TotalSeconds * 100;
    await Task.Delay(TimeSpan.FromSeconds(2)); // the last batches written
    var (walAfter, rowsAfter) = await WalAndRows(postgres);
    cts.Cancel();
    await Task.WhenAll(sessions.Select(s => s.ContinueWith(_ => { })));
    var elapsed = clock.Elapsed.TotalSeconds;
    var rows = rowsAfter - rowsBefore;
    Console.WriteLine($"SIMULATED hosts={hosts} machines={hosts * perHost} window={seconds}s");
    Console.WriteLine($"gateway(silo) CPU: {cpu:F1} % of one core");
    Console.WriteLine($"rows written: {rows} ({rows / elapsed:F0}/s; expected {hosts * perHost * 6}/s)");
    Console.WriteLine($"PostgreSQL WAL: {(walAfter - walBefore) / elapsed / 1024:F0} KiB/s ({(double)(walAfter - walBefore) / Math.Max(1, rows):F0} bytes/row)");
    Console.WriteLine($"samples table: {await Scalar(postgres, "SELECT pg_total_relation_size('cimi_meter_sample') + coalesce((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'cimi_meter_sample'::regclass), 0)") / 1024 / 1024} MiB");
    Console.WriteLine($"minute summaries: {await Scalar(postgres, "SELECT coalesce((SELECT pg_total_relation_size(to_regclass('cimi_meter_minute'))), 0)") / 1024 / 1024} MiB");
    return 0;
}

static async Task<int> Hosts(string agentUrl, string secret, int hosts, int cpu)
{
    using var cts = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
    AppDomain.CurrentDomain.ProcessExit += (_, _) => cts.Cancel();
    var sessions = Enumerable.Range(0, hosts).Select(h => Task.Run(() => SimulatedHost(agentUrl, secret, $"sim-{h}",
        new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(), cts.Token, cpu, sendSamples: false))).ToList();
    Console.WriteLine($"{hosts} SIMULATED hosts of {cpu} CPUs connected to {agentUrl}");
    await Task.WhenAll(sessions.Select(s => s.ContinueWith(_ => { })));
    return 0;
}

static async Task SimulatedHost(string agentUrl, string secret, string hostId,
    System.Collections.Concurrent.ConcurrentDictionary<string, bool> machines, CancellationToken ct, int cpu = 64, bool sendSamples = true)
{
    using var channel = GrpcChannel.ForAddress(agentUrl);
    var client = new AgentHub.AgentHubClient(channel);
    using var call = client.Connect(new Metadata { { "x-cimi-agent-secret", secret } }, cancellationToken: ct);
    var register = new Register { HostId = hostId, Cpu = cpu, MemoryKib = cpu * 1024L * 1024, DiskKib = 1L << 30, AgentVersion = "bench" };
    register.Drivers.Add("docker");
    await call.RequestStream.WriteAsync(new AgentMessage { Register = register }, ct);
    await call.ResponseStream.MoveNext(ct);
    await call.RequestStream.WriteAsync(new AgentMessage { Inventory = new Inventory() }, ct);
    var writing = new SemaphoreSlim(1, 1);
    async Task Send(AgentMessage message)
    {
        await writing.WaitAsync(ct);
        try { await call.RequestStream.WriteAsync(message, ct); } finally { writing.Release(); }
    }
    // Every command is taken as done: a create (or start) reports the workload running, anything else as asked.
    var drain = Task.Run(async () =>
    {
        while (await call.ResponseStream.MoveNext(ct))
        {
            if (call.ResponseStream.Current.Command is not { } command) continue;
            var key = command.ResourceId.Length > 0 ? command.ResourceId : command.MachineKey;
            var state = command.Kind switch
            {
                CommandKind.Create or CommandKind.Start => ObservedState.Running,
                CommandKind.Stop => ObservedState.Stopped,
                CommandKind.Delete => ObservedState.Absent,
                _ => ObservedState.Running,
            };
            if (command.ResourceKind == ResourceKind.Machine || command.MachineKey.Length > 0)
            {
                if (state == ObservedState.Absent) machines.TryRemove(key, out _);
                else machines[key] = true;
            }
            await Send(new AgentMessage { Report = new Report
            {
                MachineKey = command.MachineKey, Generation = command.Generation, State = state, CommandId = command.CommandId, Succeeded = true,
                ResourceKind = command.ResourceKind, ResourceId = command.ResourceId,
            } });
        }
    }, ct);
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
    var random = new Random(hostId.GetHashCode());
    try
    {
        while (await timer.WaitForNextTickAsync(ct))
        {
            if (!sendSamples) continue;
            var batch = new SampleBatch { PeriodSeconds = 1 };
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var key in machines.Keys)
            {
                var sample = new MachineSample { MachineKey = key, UnixMs = now };
                foreach (var aspect in new[] { "cpu.utilization", "memory.used", "disk.read", "disk.write", "network.received", "network.transmitted" })
                    sample.Values[aspect] = random.NextDouble() * 100;
                batch.Samples.Add(sample);
            }
            if (batch.Samples.Count > 0) await Send(new AgentMessage { Samples = batch });
        }
    }
    catch (OperationCanceledException)
    {
    }
    catch (RpcException)
    {
    }
}

static long CpuTicks(int pid)
{
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return long.Parse(fields[11]) + long.Parse(fields[12]);
}

static async Task<(long Wal, long Rows)> WalAndRows(string postgres)
{
    var wal = await Scalar(postgres, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint");
    var rows = await Scalar(postgres, "SELECT count(*) FROM cimi_meter_sample");
    return (wal, rows);
}

static async Task<long> Scalar(string postgres, string sql)
{
    await using var connection = new NpgsqlConnection(postgres);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    return Convert.ToInt64(await command.ExecuteScalarAsync());
}

static HttpClient Cimi(string http, string user, string password)
{
    var client = new HttpClient { BaseAddress = new Uri(http.TrimEnd('/') + "/cimi/") };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    return client;
}

static async Task<int> Query(string http, string user, string password, string postgres, int clients, int requests)
{
    using var client = Cimi(http, user, password);
    async Task<JsonObject> Post(string path, JsonObject body)
    {
        var response = await client.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode >= 300) throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
    var machine = await Post("machines", new JsonObject { ["name"] = "metered", ["machineTemplate"] = new JsonObject { ["href"] = "machineTemplates/demo" } });
    var machineId = machine["id"]!.GetValue<string>();
    var meter = await Post("meters", new JsonObject
    {
        ["meterTemplate"] = new JsonObject
        {
            ["targetResource"] = new JsonObject { ["href"] = machineId },
            ["meterConfig"] = new JsonObject { ["aspect"] = "urn:cimigrains:meter:aspect:cpu.utilization", ["sampleInterval"] = 1 },
        },
    });
    var meterId = meter["id"]!.GetValue<string>();
    var resource = "machines/" + machineId[(machineId.LastIndexOf('/') + 1)..];
    var end = DateTimeOffset.UtcNow.AddMinutes(-5);
    var start = end.AddHours(-1);
    // The hour as the ingest writes it: every second one reading of each of BENCH_METER_SERIES series (200 by default,
    // the 200-Machine ingest's), so the measured series' rows are interleaved with the others' on the heap pages.
    var series = int.TryParse(Environment.GetEnvironmentVariable("BENCH_METER_SERIES"), out var n) && n > 0 ? n : 200;
    var written = DateTimeOffset.UtcNow;
    await using (var connection = new NpgsqlConnection(postgres))
    {
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO cimi_meter_sample (tenant_id, resource_id, aspect, at, value)
            SELECT $1, CASE WHEN k = 0 THEN $2 ELSE 'machines/bench-' || k END, 'cpu.utilization', $3 + make_interval(secs => i), random() * 100
            FROM generate_series(0, 3599) AS i, generate_series(0, $4 - 1) AS k ORDER BY i, k
            """, connection) { CommandTimeout = 600 };
        insert.Parameters.Add(new NpgsqlParameter { Value = user });
        insert.Parameters.Add(new NpgsqlParameter { Value = resource });
        insert.Parameters.Add(new NpgsqlParameter { Value = start.UtcDateTime, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        insert.Parameters.Add(new NpgsqlParameter { Value = series });
        await insert.ExecuteNonQueryAsync();
    }
    // What a running deployment would have by now: autovacuum's pass over the partition (it wakes every minute).
    var vacuumed = false;
    for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromSeconds(150) && !vacuumed; await Task.Delay(2000))
    {
        vacuumed = await Scalar(postgres, $"""
            SELECT count(*) FROM pg_stat_user_tables WHERE relname LIKE 'cimi_meter_sample_p%'
            AND greatest(last_autovacuum, last_vacuum) > '{written.UtcDateTime:O}'
            """) > 0;
    }
    Console.WriteLine($"{series} series interleaved ({series * 3600} rows); autovacuum {(vacuumed ? "ran on the partition" : "did not run within 150 s")}");
    var filter = Uri.EscapeDataString($"timestamp>='{start:O}' and timestamp<'{end:O}'");
    var url = $"{meterId}/samples?$aggregate=PT1M&$filter={filter}";
    var check = JsonNode.Parse(await client.GetStringAsync(url))!;
    Console.WriteLine($"one hour of one meter per minute: {check["count"]} intervals of {check["samples"]![0]!["sample"]!["count"]} samples");
    for (var i = 0; i < 20; i++) await client.GetStringAsync(url); // warm-up, not measured
    var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
    {
        for (var i = 0; i < requests / clients; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await client.GetAsync(url);
            await response.Content.ReadAsByteArrayAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET samples: {(int)response.StatusCode}");
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }
    })));
    var sorted = latencies.Order().ToArray();
    double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    Console.WriteLine($"clients={clients} requests={sorted.Length} throughput={sorted.Length / clock.Elapsed.TotalSeconds:F0}/s p50={P(0.5):F1} ms p99={P(0.99):F1} ms max={sorted[^1]:F1} ms");
    return 0;
}
