// Collection-query benchmark: a tenant with N Machines in the read model, a $filter on two attributes
// with $orderby returning a page of 100, at 8 concurrent clients. Measures the read-model query and
// the rendering (documents + JSON, streamed as the Gateway writes JSON pages) separately.
// Usage: CIMI_BENCH_POSTGRES="Host=…;Database=…" dotnet run -c Release -- [sizes=1000,10000,100000] [requests=800] [clients=8]
using System.Diagnostics;
using System.Text.Json;
using CimiGrains.Common;
using CimiGrains.Gateway.Serialization;
using CimiGrains.Grains.Persistence;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Grains.ReadModel.Filter;
using CimiGrains.Machines;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

var postgres = Environment.GetEnvironmentVariable("CIMI_BENCH_POSTGRES")
    ?? throw new InvalidOperationException("Set CIMI_BENCH_POSTGRES to a PostgreSQL connection string.");
var sizes = (args.Length > 0 ? args[0] : "1000,10000,100000").Split(',').Select(int.Parse).ToArray();
var requests = args.Length > 1 ? int.Parse(args[1]) : 800;
var clients = args.Length > 2 ? int.Parse(args[2]) : 8;
const string Filter = "state='STARTED' and cpu>=4";
const string OrderBy = "name";

await SchemaMigrator.MigrateAsync(postgres, NullLogger.Instance);
await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres) { MaxPoolSize = 32 }.ConnectionString);
var readModel = new ResourceReadModel(dataSource);
var baseUri = new BaseUri("http://127.0.0.1:8080/cimi/");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
Console.WriteLine($"query: $filter={Filter}&$orderby={OrderBy}&$first=1&$last=100, {clients} concurrent clients, {requests} requests per size");
Console.WriteLine("| machines | matching | total p50 | total p99 | query p50 | query p99 | render p50 | render p99 | req/s |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

foreach (var size in sizes)
{
    var tenant = $"bench-{size}";
    await Seed(dataSource, tenant, size);
    var query = new ResourceQuery(FilterParser.Parse(Filter), FilterParser.ParseOrderBy(OrderBy), 1, 100);
    // Warm the pool, the plan cache and the JIT.
    for (var i = 0; i < 20; i++) await readModel.QueryAsync(tenant, ResourceKind.Machine, query, CancellationToken.None);

    var total = new List<double>();
    var queryTimes = new List<double>();
    var renderTimes = new List<double>();
    long matching = 0;
    var next = 0;
    var wall = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
    {
        while (Interlocked.Increment(ref next) <= requests)
        {
            var start = Stopwatch.GetTimestamp();
            var page = await readModel.QueryAsync(tenant, ResourceKind.Machine, query, CancellationToken.None);
            var queried = Stopwatch.GetTimestamp();
            // As the Gateway writes a JSON page (StoredCollectionResult): streamed from the stored bytes.
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(128 * 1024);
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = CimiJson.Options.Encoder }))
                CimiJsonStreaming.WriteCollection(writer, CimiTypes.Machine, baseUri, page.Count, page.Documents, canAdd: true);
            var rendered = Stopwatch.GetTimestamp();
            lock (total)
            {
                matching = page.Count;
                total.Add(Stopwatch.GetElapsedTime(start, rendered).TotalMilliseconds);
                queryTimes.Add(Stopwatch.GetElapsedTime(start, queried).TotalMilliseconds);
                renderTimes.Add(Stopwatch.GetElapsedTime(queried, rendered).TotalMilliseconds);
            }
        }
    })));
    wall.Stop();
    static string P(List<double> xs, double p)
    {
        xs.Sort();
        return xs[Math.Min(xs.Count - 1, (int)Math.Ceiling(p * xs.Count) - 1)].ToString("0.0") + " ms";
    }
    Console.WriteLine($"| {size:N0} | {matching:N0} | {P(total, 0.5)} | {P(total, 0.99)} | {P(queryTimes, 0.5)} | {P(queryTimes, 0.99)} | {P(renderTimes, 0.5)} | {P(renderTimes, 0.99)} | {requests / wall.Elapsed.TotalSeconds:0} |");
}

// Realistic Machine documents, written straight into cimi_resource with COPY (what grains would have projected).
static async Task Seed(NpgsqlDataSource dataSource, string tenant, int count)
{
    await using (var delete = dataSource.CreateCommand("DELETE FROM cimi_resource WHERE tenant_id = $1"))
    {
        delete.Parameters.Add(new() { Value = tenant });
        await delete.ExecuteNonQueryAsync();
    }
    var random = new Random(42);
    var states = new[] { MachineStateName.STARTED, MachineStateName.STARTED, MachineStateName.STOPPED, MachineStateName.ERROR, MachineStateName.PAUSED };
    var start = DateTimeOffset.UtcNow.AddDays(-30);
    await using var connection = await dataSource.OpenConnectionAsync();
    await using (var importer = await connection.BeginBinaryImportAsync(
        "COPY cimi_resource (tenant_id, kind, id, name, state, created, updated, doc) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < count; i++)
        {
            var id = $"machines/{Guid.NewGuid():N}";
            var created = start.AddSeconds(i * 2.0 * 30 * 86400 / count / 2);
            var machine = new Machine
            {
                Id = id, Name = $"web-{random.Next(1_000_000):D6}", Description = "benchmark machine", Created = created, Updated = created,
                Properties = new Dictionary<string, string> { ["owner"] = $"team-{random.Next(20)}", ["env"] = random.Next(2) == 0 ? "prod" : "test" },
                State = states[random.Next(states.Length)], Cpu = 1 << random.Next(5), Memory = 262144L << random.Next(4), CpuArch = "x86_64",
                MachineImage = new ResourceRef($"machineImages/{random.Next(10)}"), MachineConfig = new ResourceRef($"machineConfigs/{random.Next(5)}"),
                Host = $"host-{random.Next(50)}",
                Operations = [new("edit", id), new("delete", id), new(CimiUris.Action("stop"), id), new(CimiUris.Action("restart"), id)],
            };
            await importer.StartRowAsync();
            await importer.WriteAsync(tenant);
            await importer.WriteAsync("Machine");
            await importer.WriteAsync(id);
            await importer.WriteAsync(machine.Name);
            await importer.WriteAsync(machine.State.ToString());
            await importer.WriteAsync(created, NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(created, NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(JsonSerializer.Serialize(machine, CimiJson.Options), NpgsqlDbType.Jsonb);
        }
        await importer.CompleteAsync();
    }
    // What autovacuum does within a minute with schema 006's thresholds: statistics, and the
    // visibility map that index-only scans need. (Without it the counts read the heap.)
    await using var analyze = dataSource.CreateCommand("VACUUM ANALYZE cimi_resource");
    await analyze.ExecuteNonQueryAsync();
}
