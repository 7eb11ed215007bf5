// The baseline for benchmarks/run-http.sh: the cheapest ASP.NET Core answer this machine can give.
// Each route serves a fixed JSON document read once at start-up, so the bytes on the wire can be the
// very ones the gateway sent (run-http.sh captures them) and the difference is the gateway's own work.
//
// Usage: BareEndpoint --port PORT [--doc /route=FILE]...   (loopback only; with no --doc, GET / serves a small document)

var port = 0;
var documents = new List<(string Route, byte[] Body)>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length:
            port = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
            break;
        case "--doc" when i + 1 < args.Length:
            var spec = args[++i];
            var eq = spec.IndexOf('=');
            if (eq <= 0 || spec[0] != '/') throw new ArgumentException($"--doc wants /route=FILE, not '{spec}'.");
            documents.Add((spec[..eq], File.ReadAllBytes(spec[(eq + 1)..])));
            break;
        default:
            throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: --port PORT [--doc /route=FILE]...");
    }
}
if (port is <= 0 or > 65535) throw new ArgumentException("--port PORT is required.");
if (documents.Count == 0) documents.Add(("/", """{"resourceURI":"http://schemas.dmtf.org/cimi/1/Machine","id":"bare","name":"bare"}"""u8.ToArray()));

var builder = WebApplication.CreateSlimBuilder(args);
// Request logging at Information would be the dominant cost of an endpoint this small; the baseline
// is the framework, not the console.
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
var app = builder.Build();

foreach (var (route, body) in documents)
{
    app.MapGet(route, () => Results.Bytes(body, "application/json; charset=utf-8"));
}
app.Run();
