// Rendering micro-benchmark: one JSON page of 100 stored Machine documents, written as the Gateway
// wrote it before (JsonObject tree per item: parse, reorder, absolutize, write) and as it writes it
// now (CimiJsonStreaming: stored bytes → Utf8JsonWriter). Single thread, no I/O, no database.
// Usage: dotnet run -c Release [-- iterations=200]
using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Common;
using CimiGrains.Gateway.Serialization;
using CimiGrains.Machines;

var iterations = args.Length > 0 ? int.Parse(args[0]) : 200;
var random = new Random(42);
var start = DateTimeOffset.UtcNow.AddDays(-30);
var stored = new List<byte[]>();
for (var i = 0; i < 100; i++)
{
    // The same realistic documents as benchmarks/Queries, with keys in jsonb's order (shorter first).
    var id = $"machines/{Guid.NewGuid():N}";
    var machine = new Machine
    {
        Id = id, Name = $"web-{random.Next(1_000_000):D6}", Description = "benchmark machine", Created = start, Updated = start,
        Properties = new Dictionary<string, string> { ["owner"] = $"team-{random.Next(20)}", ["env"] = "prod" },
        State = MachineStateName.STARTED, Cpu = 1 << random.Next(5), Memory = 262144L << random.Next(4), CpuArch = "x86_64",
        MachineImage = new ResourceRef($"machineImages/{random.Next(10)}"), MachineConfig = new ResourceRef($"machineConfigs/{random.Next(5)}"),
        Host = $"host-{random.Next(50)}",
        Operations = [new("edit", id), new("delete", id), new(CimiUris.Action("stop"), id), new(CimiUris.Action("restart"), id)],
    };
    stored.Add(Encoding.UTF8.GetBytes(AsJsonb(JsonSerializer.SerializeToNode(machine, CimiJson.Options))!.ToJsonString()));
}
var texts = stored.Select(Encoding.UTF8.GetString).ToList();
var baseUri = new BaseUri("http://127.0.0.1:8080/cimi/");
var options = new JsonWriterOptions { Encoder = CimiJson.Options.Encoder };
var buffer = new ArrayBufferWriter<byte>(256 * 1024);

void Tree()
{
    buffer.ResetWrittenCount();
    var items = texts.Select(d => CimiDocuments.FromStored(d, CimiTypes.Machine, baseUri));
    var document = CimiDocuments.Collection(CimiTypes.Machine, baseUri, 10_000, items, canAdd: true);
    using var writer = new Utf8JsonWriter(buffer, options);
    document.WriteTo(writer);
}

void Streamed()
{
    buffer.ResetWrittenCount();
    using var writer = new Utf8JsonWriter(buffer, options);
    CimiJsonStreaming.WriteCollection(writer, CimiTypes.Machine, baseUri, 10_000, stored, canAdd: true);
}

Tree();
var tree = buffer.WrittenSpan.ToArray();
Streamed();
if (!tree.AsSpan().SequenceEqual(buffer.WrittenSpan)) throw new InvalidOperationException("The two renderings differ.");
Console.WriteLine($"page of 100 Machines, {tree.Length:N0} bytes; {iterations} pages per round, 7 rounds, median");
foreach (var (name, render) in new (string, Action)[] { ("tree (before)", Tree), ("streamed (now)", Streamed) })
{
    for (var i = 0; i < iterations; i++) render();
    var times = new List<double>();
    long allocated = 0;
    for (var round = 0; round < 7; round++)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) render();
        times.Add(clock.Elapsed.TotalMicroseconds / iterations);
        allocated = (GC.GetAllocatedBytesForCurrentThread() - before) / iterations;
    }
    times.Sort();
    Console.WriteLine($"| {name} | {times[3]:0} µs | {times[0]:0}–{times[^1]:0} µs | {allocated / 1024:N0} KB |");
}

static JsonNode? AsJsonb(JsonNode? node) => node switch
{
    JsonObject o => new JsonObject(o.OrderBy(p => Encoding.UTF8.GetByteCount(p.Key)).ThenBy(p => p.Key, StringComparer.Ordinal)
        .Select(p => KeyValuePair.Create(p.Key, AsJsonb(p.Value?.DeepClone())))),
    JsonArray a => new JsonArray([.. a.Select(i => AsJsonb(i?.DeepClone()))]),
    _ => node?.DeepClone(),
};
