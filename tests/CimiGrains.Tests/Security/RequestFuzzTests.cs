using System.Diagnostics;
using System.Security;
using System.Text;
using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;
using Xunit.Abstractions;

namespace CimiGrains.Tests.Security;

/// <summary>
/// Issue 9's fuzz test: structured mutations of every request shape the API takes (every POST and PUT
/// under /cimi and /admin, in JSON and XML, plus query strings and headers), from a fixed seed, for a
/// bounded time. Asserts that no answer is a 5xx, that the gateway process lives, and that a rejected
/// request created or changed nothing: collection counts move only by the creates that were accepted,
/// and every resource a rejected PUT aimed at reads the same by id and in its collection as before.
/// One request in twelve carries a mutated Authorization header instead of the login (malformed Basic
/// tokens, other schemes, invalid UTF-8, huge values): it must be refused with a 4xx and change nothing.
/// The gateway's resident memory before and after is reported (docs/BENCHMARKS.md keeps the figures).
/// </summary>
[Collection(MalformedInputCollection.Name)]
public sealed class RequestFuzzTests(MalformedInputFixture fixture, ITestOutputHelper output)
{
    private const int Seed = 20261201;
    private const string Cimi = "http://schemas.dmtf.org/cimi/1";
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(75);
    private const int MaxRequests = 4000;
    private const int CheckEvery = 100;

    private static readonly string[] Collections =
        ["machineConfigs", "machineImages", "machineTemplates", "credentialTemplates", "credentials", "machines", "jobs"];

    private static readonly Dictionary<string, string> ArrayOf = new()
    {
        ["machineConfigs"] = "machineConfigurations", ["machineImages"] = "machineImages", ["machineTemplates"] = "machineTemplates",
        ["credentialTemplates"] = "credentialTemplates", ["credentials"] = "credentials", ["machines"] = "machines", ["jobs"] = "jobs",
    };

    /// <summary>Strings as a JSON literal and as XML text (character references where XML needs them).</summary>
    private static readonly (string Json, string Xml)[] Hostile =
    [
        ("\"a\\u0000b\"", "a&#0;b"), ("\"\\ud800\"", "&#xD800;"), ("\"\\udc00x\"", "x&#xDC00;"), ("\"\\u0001\"", "&#x1;"),
        ("\"\\uffff\"", "&#xFFFF;"), ("\"\\ufffe\"", "&#xFFFE;"), ("\"\\u001b[31m\"", "&#x1B;[31m"), ("\"\\u0000\"", "\u0000"),
        ("\"" + new string('x', 300) + "\"", new string('x', 300)), ("\"" + new string('y', 100_000) + "\"", new string('y', 100_000)),
        ("\"\\ud83d\\ude00\"", "\U0001F600"), ("\"  \"", "  "), ("\"\"", ""), ("\"<script>\"", "&lt;script&gt;"),
        ("\"'; DROP TABLE cimi_resource; --\"", "'; DROP TABLE cimi_resource; --"), ("\"../../etc/passwd\"", "../../etc/passwd"),
        ("\"\\\\\"", "\\"), ("\"%00\"", "%00"), ("\"\\u202e\"", "&#x202E;"), ("\"a\\nb\\tc\\r\"", "a&#xA;b&#x9;c&#xD;"),
        ("\"\\u0085\\u2028\"", "&#x85;&#x2028;"), ("\"\\ud800\\ud800\"", "&#xD800;&#xD800;"), ("\"\\u0000\\u0000\\u0000\"", "&#0;"),
        ("\"AAAA====\"", "AAAA===="), ("\"STARTED\"", "STARTED"), ("\"IMAGE\"", "IMAGE"), ("\"docker:bb8\"", "docker:bb8"),
    ];

    private static readonly string[] WrongTypes =
        ["0", "-1", "1e400", "123456789012345678901234567890", "true", "false", "null", "[]", "{}", "[1,2]", "{\"href\":1}", "\"1\"", "1.5", "-0"];

    private static readonly string[] Hrefs =
    [
        "", "http://example.com/cimi/machineConfigs/1", "machineConfigs/../machineImages/x", "/cimi/machineConfigs/0123456789abcdef",
        "machineConfigs/a\u0000b", "machineConfigs/\ud800", "javascript:alert(1)", "machineConfigs", "machineConfigs/", "//evil/x",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json; charset=iso-8859-1", "application/json; charset=utf-16", "application/xml; charset=bogus", "application/vnd.x+json",
        "text/plain", "application/json;;;", "*/*", "multipart/form-data; boundary=x", "application/xml; charset=utf-8", "text/xml",
        "application/json; charset=\"", "application/x-www-form-urlencoded", "application/cimi+xml",
    ];

    private static readonly string[] Accepts =
    [
        "application/xml", "text/html", "application/xml;q=0.9, application/json;q=0.1", "garbage;;q=x", "*/*;q=0", "application/*",
        "text/xml", "application/json;q=abc", "", ",,,",
    ];

    private sealed record Shape(string Name, HttpMethod Method, Func<string> Url, string XmlRoot, Func<JsonObject> Seed, string? Creates);

    private sealed class World
    {
        public required CimiClient Client { get; init; }
        public required CimiClient Other { get; init; }
        public Dictionary<string, string> Ids { get; } = [];
        public Dictionary<string, string> OtherIds { get; } = [];
        public Dictionary<string, long> Counts { get; } = [];
        public Dictionary<string, string> Snapshots { get; } = [];
        public List<string> Failures { get; } = [];
    }

    [Fact]
    public async Task Mutated_requests_of_every_shape_get_no_5xx_and_a_rejected_one_changes_nothing()
    {
        using var client = await fixture.NewTenantAsync();
        using var other = await fixture.NewTenantAsync();
        var world = new World { Client = client, Other = other };
        await SetUpAsync(world, client, world.Ids);
        await SetUpAsync(world, other, world.OtherIds);
        foreach (var c in Collections) world.Counts[c] = (await client.GetAsync(c)).Json["count"]!.GetValue<long>();
        foreach (var c in Collections.Where(c => c != "jobs")) await SnapshotAsync(world, world.Ids[c]);
        await SnapshotAsync(world, world.Ids["jobs"]);
        var shapes = Shapes(world);

        var random = new Random(Seed);
        var residentBefore = fixture.Gateway.ResidentBytes;
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var statuses = new Dictionary<int, int>();
        while (clock.Elapsed < Budget && sent < MaxRequests)
        {
            var shape = shapes[random.Next(shapes.Count)];
            var code = await SendMutatedAsync(world, shape, random, sent);
            if (code is { } c) statuses[c] = statuses.GetValueOrDefault(c) + 1;
            sent++;
            if (sent % CheckEvery == 0) await CheckAsync(world, sent);
            if (fixture.Gateway.HasExited)
            {
                world.Failures.Add($"#{sent}: the gateway process exited");
                break;
            }
        }
        if (!fixture.Gateway.HasExited) await CheckAsync(world, sent);
        output.WriteLine($"{sent} requests in {clock.Elapsed.TotalSeconds:0.0} s: " +
            string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} × {s.Value}")));
        if (!fixture.Gateway.HasExited)
            output.WriteLine($"gateway RSS {residentBefore / 1048576} MB before, {fixture.Gateway.ResidentBytes / 1048576} MB after");
        foreach (var f in world.Failures.Take(50)) output.WriteLine(f);
        Assert.False(fixture.Gateway.HasExited, "the gateway process died");
        Assert.True(world.Failures.Count == 0, $"{world.Failures.Count} failures, first: " + string.Join("\n", world.Failures.Take(10)));
        Assert.True(sent >= 300, $"only {sent} requests fitted in the budget");
    }

    private static async Task SetUpAsync(World world, CimiClient client, Dictionary<string, string> ids)
    {
        ids["machineConfigs"] = await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());
        ids["machineImages"] = await CimiDocs.Created(client, "machineImages", CimiDocs.Image());
        ids["credentialTemplates"] = await CimiDocs.Created(client, "credentialTemplates",
            new JsonObject { ["name"] = "ct", ["userName"] = "root", ["password"] = "pass-word-1" });
        ids["credentials"] = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
        ids["machineTemplates"] = await CimiDocs.Created(client, "machineTemplates",
            CimiDocs.Template(ids["machineConfigs"], ids["machineImages"], ids["credentials"]));
        var machine = await client.PostAsync("machines", CimiDocs.MachineCreate(ids["machineTemplates"]));
        Assert.True(machine.Code == 202, machine.ToString());
        ids["machines"] = machine.Header("Location")!;
        ids["jobs"] = machine.Header("CIMI-Job-URI")!;
        await client.WaitForJobAsync(ids["jobs"]);
        _ = world;
    }

    private static List<Shape> Shapes(World w)
    {
        string Id(string c) => w.Ids[c];
        var shapes = new List<Shape>
        {
            new("POST machineConfigs", HttpMethod.Post, () => "machineConfigs", "MachineConfiguration", () => new JsonObject
            {
                ["name"] = "c", ["description"] = "d", ["properties"] = new JsonObject { ["k"] = "v" }, ["cpu"] = 1, ["memory"] = 65536,
                ["disks"] = new JsonArray(new JsonObject { ["capacity"] = 1024, ["format"] = "ext4" }), ["cpuArch"] = "x86_64",
            }, "machineConfigs"),
            new("PUT machineConfig", HttpMethod.Put, () => Id("machineConfigs"), "MachineConfiguration",
                () => new JsonObject { ["name"] = "c2", ["cpu"] = 2, ["memory"] = 131072, ["properties"] = new JsonObject { ["a"] = "b" } }, null),
            new("POST machineImages", HttpMethod.Post, () => "machineImages", "MachineImage",
                () => new JsonObject { ["name"] = "i", ["imageLocation"] = "docker:cimigrains/demo:latest", ["type"] = "IMAGE" }, "machineImages"),
            new("PUT machineImage", HttpMethod.Put, () => Id("machineImages"), "MachineImage",
                () => new JsonObject { ["name"] = "i2", ["imageLocation"] = "docker:cimigrains/demo:latest" }, null),
            new("POST machineTemplates", HttpMethod.Post, () => "machineTemplates", "MachineTemplate", () => new JsonObject
            {
                ["name"] = "t", ["machineConfig"] = new JsonObject { ["href"] = Id("machineConfigs") },
                ["machineImage"] = new JsonObject { ["href"] = Id("machineImages") }, ["credential"] = new JsonObject { ["href"] = Id("credentials") },
                ["initialState"] = "STARTED", ["userData"] = "aGVsbG8=",
            }, "machineTemplates"),
            new("PUT machineTemplate", HttpMethod.Put, () => Id("machineTemplates"), "MachineTemplate", () => new JsonObject
            {
                ["name"] = "t2", ["machineConfig"] = new JsonObject { ["cpu"] = 1, ["memory"] = 65536 },
                ["machineImage"] = new JsonObject { ["href"] = Id("machineImages") },
            }, null),
            new("POST credentialTemplates", HttpMethod.Post, () => "credentialTemplates", "CredentialTemplate",
                () => new JsonObject { ["name"] = "ct", ["userName"] = "root", ["password"] = "pass-word-2", ["key"] = "ssh-ed25519 AAAAC3 k" },
                "credentialTemplates"),
            new("PUT credentialTemplate", HttpMethod.Put, () => Id("credentialTemplates"), "CredentialTemplate",
                () => new JsonObject { ["name"] = "ct2", ["userName"] = "admin" }, null),
            new("POST credentials", HttpMethod.Post, () => "credentials", "CredentialCreate", () => new JsonObject
            {
                ["name"] = "cr", ["credentialTemplate"] = new JsonObject { ["href"] = Id("credentialTemplates"), ["userName"] = "other" },
            }, "credentials"),
            new("PUT credential", HttpMethod.Put, () => Id("credentials"), "Credential",
                () => new JsonObject { ["name"] = "cr2", ["userName"] = "root" }, null),
            new("POST machines", HttpMethod.Post, () => "machines", "MachineCreate", () => new JsonObject
            {
                ["name"] = "m", ["machineTemplate"] = new JsonObject { ["href"] = Id("machineTemplates"), ["initialState"] = "STOPPED" },
            }, "machines"),
            new("PUT machine", HttpMethod.Put, () => Id("machines"), "Machine",
                () => new JsonObject { ["name"] = "m2", ["description"] = "d", ["properties"] = new JsonObject { ["x"] = "y" } }, null),
            new("POST machine action", HttpMethod.Post, () => Id("machines"), "Action",
                () => new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/stop", ["force"] = true }, "action"),
            new("PUT job", HttpMethod.Put, () => Id("jobs"), "Job", () => new JsonObject { ["name"] = "j", ["description"] = "d" }, null),
            new("POST admin tenants", HttpMethod.Post, () => "/admin/tenants", "TenantCreate",
                () => new JsonObject { ["id"] = "fz-tenant", ["name"] = "n", ["user"] = "fz-user", ["password"] = "fz-password-1" }, "tenant"),
            new("POST admin users", HttpMethod.Post, () => $"/admin/tenants/{w.Client.User[..^5]}/users", "UserCreate",
                () => new JsonObject { ["user"] = "fz-user", ["password"] = "fz-password-1", ["role"] = "user", ["replace"] = false }, "user"),
        };
        foreach (var c in Collections)
            shapes.Add(new($"GET {c}", HttpMethod.Get, () => c, "", () => [], null));
        shapes.Add(new("GET entry point", HttpMethod.Get, () => "/cimi/", "", () => [], null));
        return shapes;
    }

    /// <summary>One mutated request; returns its status (null when the client could not even send it).</summary>
    private async Task<int?> SendMutatedAsync(World w, Shape shape, Random random, int n)
    {
        var url = shape.Url();
        var isAdmin = url.StartsWith("/admin", StringComparison.Ordinal);
        var headers = new List<KeyValuePair<string, string>>();
        string? accept = random.Next(4) == 0 ? Accepts[random.Next(Accepts.Length)] : null;
        if (random.Next(8) == 0) headers.Add(new("CIMI-Specification-Version", Pick(random, ["", "2.0", "1.0.1", "\u00ff", new string('9', 5000), ",,,", "1"])));
        if (random.Next(10) == 0) headers.Add(new("X-Request-Id", Pick(random, ["", "a b", new string('r', 500), "id\u00e9", "../x"])));
        var badLogin = random.Next(12) == 0;
        if (badLogin) headers.Add(new("Authorization", MutatedAuthorization(random, isAdmin ? "admin" : w.Client.User)));
        byte[]? body = null;
        string? contentType = null;
        JsonObject? seed = null;
        string? unique = null;

        if (shape.Method == HttpMethod.Get)
        {
            url += "?" + MutatedQuery(random);
        }
        else
        {
            seed = shape.Seed();
            if (shape.Creates is "tenant" or "user")
            {
                unique = $"fz{n}x{random.Next(1000)}";
                if (seed.ContainsKey("id")) seed["id"] = unique;
                seed["user"] = unique + "u";
            }
            var xml = !isAdmin ? random.Next(3) == 0 : random.Next(6) == 0;
            var (text, mutation) = xml ? MutatedXml(shape, seed, random) : MutatedJson(seed, random, [.. w.OtherIds.Values]);
            body = mutation is { } bytes ? bytes : Encoding.UTF8.GetBytes(text);
            contentType = xml ? "application/xml" : "application/json";
            if (random.Next(8) == 0) contentType = ContentTypes[random.Next(ContentTypes.Length)];
            else if (random.Next(30) == 0) contentType = null;
            if (shape.Method == HttpMethod.Put && random.Next(8) == 0)
                url += "?$select=" + Uri.EscapeDataString(Pick(random, ["name", "name,\u0000", "id", "properties,cpu", "", ",,", "\ud800x", "operations"]));
        }

        var creds = isAdmin ? ("admin", GatewayProcess.AdminPassword) : (w.Client.User, Tenants.Password);
        CimiResponse response;
        try
        {
            response = await RawHttp.SendAsync(fixture.Gateway.BaseAddress, creds.Item1, creds.Item2, shape.Method, url, body, contentType, accept, headers);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or FormatException)
        {
            if (fixture.Gateway.HasExited || e is TaskCanceledException || e is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded })
                w.Failures.Add($"#{n} {shape.Name}: no answer ({e.GetType().Name}: {e.Message})");
            return null;
        }
        var code = response.Code;
        var what = $"#{n} {shape.Name} {url[..Math.Min(url.Length, 120)]} [{contentType}] body {Preview(body)}";
        if (badLogin && code is < 400 or >= 500)
        {
            // Never served, never created anything: the counts and snapshots would drift otherwise.
            w.Failures.Add($"{what} with Authorization '{Preview(Encoding.UTF8.GetBytes(headers.Last().Value))}' → {code}, not a refusal");
            return code;
        }
        if (code >= 500)
        {
            w.Failures.Add($"{what} → {response.ToString()[..Math.Min(response.ToString().Length, 300)]}");
            return code;
        }
        if (code is >= 200 and < 300)
        {
            switch (shape.Creates)
            {
                case "machines":
                    w.Counts["machines"]++;
                    w.Counts["jobs"]++;
                    break;
                case "action":
                    w.Counts["jobs"]++;
                    break;
                case "machineImages" when code == 202:
                    w.Counts["machineImages"]++;
                    w.Counts["jobs"]++;
                    break;
                case { } c when w.Counts.ContainsKey(c):
                    w.Counts[c]++;
                    break;
            }
            if (shape.Method == HttpMethod.Put || shape.Creates == "action")
            {
                // Accepted: what the resource says now is the new reference (after its operation settles).
                if (shape.Creates == "action" && response.Header("CIMI-Job-URI") is { } job) await w.Client.WaitForJobAsync(job);
                await SnapshotAsync(w, url.Split('?')[0]);
            }
        }
        else if (unique is not null && code != 404)
        {
            // A rejected operator request must not have made a login.
            var user = seed!["user"] is JsonValue u && u.TryGetValue<string>(out var s) ? s : null;
            var password = seed["password"] is JsonValue p && p.TryGetValue<string>(out var pw) ? pw : null;
            if (user is { Length: > 0 } && password is { Length: > 0 } && (user + password).All(ch => ch is > ' ' and < '\u007f' && ch != ':'))
            {
                var login = await RawHttp.SendAsync(fixture.Gateway.BaseAddress, user, password, HttpMethod.Get, "/cimi/", null, null);
                if (login.Code == 200) w.Failures.Add($"{what} → {code}, yet user '{user}' can log in");
            }
        }
        return code;
    }

    /// <summary>An Authorization header that must not log anyone in: every shape a broken or hostile client sends.</summary>
    private static string MutatedAuthorization(Random random, string user)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes);
        var utf8 = Encoding.UTF8;
        return random.Next(12) switch
        {
            0 => "Basic " + B64(utf8.GetBytes($"{user}:wrong-{random.Next()}")),
            1 => "Basic " + B64(utf8.GetBytes(user)),
            2 => "Basic !!!not*base64",
            3 => "Bearer " + B64(utf8.GetBytes($"{user}:{Tenants.Password}")),
            4 => "Basic ",
            5 => "Basic " + B64([0xC0, 0xAF, (byte)':', 0xFF, 0xFE]),
            6 => "Basic " + new string('A', 9000),
            7 => "Basic " + B64(utf8.GetBytes($"{user}\0:{Tenants.Password}")),
            8 => "Basic " + B64(utf8.GetBytes($":{Tenants.Password}")),
            9 => "Negotiate " + B64(utf8.GetBytes("NTLMSSP")),
            10 => "Basic " + B64(utf8.GetBytes($"{user}:{Tenants.Password}")) + "=" + " trailing",
            _ => "",
        };
    }

    private static string Preview(byte[]? body) =>
        body is null ? "-" : body.Length > 160 ? $"{Encoding.UTF8.GetString(body, 0, 160)}… ({body.Length} bytes)" : Encoding.UTF8.GetString(body);

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static string MutatedQuery(Random random)
    {
        var filters = new[]
        {
            "name='x'", "name='%00'", "name='a%01b'", "property['%00']='x'", "cpu>1 and memory<99999999999999999999999999999",
            string.Concat(Enumerable.Repeat("(", 40)) + "name='x'" + string.Concat(Enumerable.Repeat(")", 40)),
            string.Concat(Enumerable.Repeat("(", 5000)), "name=", "='x'", "name='x' or", "created>2012-13-45T99:99:99Z",
            "name='" + new string('z', 5000) + "'", "name=\"%ED%A0%80\"", "name='%C0%AF'", "state!='\\'", "property[1]=2",
            "a/b/c/d/e/f='x'", "name='x' and (cpu=1 or memory=2)", "%FF%FE", "name='\\u0000'", "cpu=1e5", "description>true",
        };
        var parts = new List<string>();
        if (random.Next(2) == 0) parts.Add("$filter=" + Pick(random, filters));
        if (random.Next(4) == 0) parts.Add("$orderby=" + Pick(random, ["name", "name:desc", "name:up", "%00", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r", "cpu:desc,memory", "property['k']"]));
        if (random.Next(4) == 0) parts.Add("$first=" + Pick(random, ["0", "-1", "1", "99999999999", "1e3", "", "%00"]));
        if (random.Next(4) == 0) parts.Add("$last=" + Pick(random, ["0", "-5", "2", "99999999999", "x", ""]));
        if (random.Next(4) == 0) parts.Add("$select=" + Pick(random, ["name", "name,%00", "*", "operations", "a,b", "%ED%A0%80", new string('s', 3000)]));
        if (random.Next(4) == 0) parts.Add("$expand=" + Pick(random, ["*", "machineConfig", "machineConfig/..", "%00", "credential,machineImage,machineConfig"]));
        if (random.Next(8) == 0) parts.Add(Pick(random, ["$filter=a&$filter=b", "%00=1", "$format=xml", "$filter", "=="]));
        return string.Join("&", parts);
    }

    /// <summary>The seed with one to three structured mutations, as JSON text; or raw bytes for byte-level ones.</summary>
    private static (string Text, byte[]? Bytes) MutatedJson(JsonObject seed, Random random, string[] otherTenantIds)
    {
        var literals = new Dictionary<string, string>();
        var count = 1 + random.Next(3);
        for (var i = 0; i < count; i++) MutateTree(seed, random, literals, i, otherTenantIds);
        var text = seed.ToJsonString();
        foreach (var (placeholder, literal) in literals) text = text.Replace($"\"{placeholder}\"", literal);
        switch (random.Next(10))
        {
            case 0:
                // A duplicate key, at the top or inside the first nested object.
                var at = random.Next(2) == 0 ? text.IndexOf('{') : Math.Max(text.IndexOf('{'), text.IndexOf('{', 1));
                var key = Pick(random, ["name", "cpu", "href", "k", "userName", "action", "password", "user"]);
                return (text.Insert(at + 1, $"\"{key}\":\"dup\","), null);
            case 1:
                return (text[..random.Next(text.Length)], null);
            case 2:
                var bytes = Encoding.UTF8.GetBytes(text).ToList();
                bytes.InsertRange(random.Next(bytes.Count), Pick(random, new byte[][] { [0xC0, 0xAF], [0xFF], [0x00], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82] }));
                return (text, [.. bytes]);
            case 3:
                return (Pick(random, ["\uFEFF", "/*c*/", " ", "[", "\"s\"", "null", ""]) + text + Pick(random, ["", " x", ",", "}", "//"]), null);
            default:
                return (text, null);
        }
    }

    private static void MutateTree(JsonObject root, Random random, Dictionary<string, string> literals, int index, string[] otherTenantIds)
    {
        var objects = new List<JsonObject>();
        var stack = new Stack<JsonNode?>([root]);
        while (stack.Count > 0)
        {
            switch (stack.Pop())
            {
                case JsonObject o:
                    objects.Add(o);
                    foreach (var (_, v) in o) stack.Push(v);
                    break;
                case JsonArray a:
                    foreach (var v in a) stack.Push(v);
                    break;
            }
        }
        var target = objects[random.Next(objects.Count)];
        var keys = target.Select(p => p.Key).ToList();
        var key = keys.Count > 0 && random.Next(5) != 0 ? keys[random.Next(keys.Count)]
            : Pick(random, ["flavour", "state", "id", "created", "href", "resourceURI", "operations", "Name", "NAME", "", "a\u0000", "properties", "disks"]);
        var placeholder = $"@@literal{index}@@";
        switch (random.Next(9))
        {
            case 0 or 1:
                var hostile = Pick(random, Hostile);
                target[key] = placeholder;
                literals[placeholder] = hostile.Json;
                break;
            case 2:
                target[key] = placeholder;
                literals[placeholder] = Pick(random, WrongTypes);
                break;
            case 3:
                target.Remove(key);
                break;
            case 4:
                var depth = Pick(random, new[] { 31, 32, 33, 100, 5000 });
                target[key] = placeholder;
                literals[placeholder] = random.Next(2) == 0
                    ? new string('[', depth) + new string(']', depth)
                    : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                break;
            case 5:
                // Another tenant's resources are as unknown to this tenant as made-up ids.
                target[key] = new JsonObject { ["href"] = Pick(random, [.. Hrefs, .. otherTenantIds]) };
                break;
            case 6:
                var props = new JsonObject();
                var many = Pick(random, new[] { 1, 65, 300 });
                for (var i = 0; i < many; i++) props[$"p{i}"] = "v";
                target["properties"] = random.Next(3) == 0 ? new JsonObject { ["k"] = new JsonObject { ["nested"] = "x" } } : props;
                break;
            case 7:
                target["disks"] = random.Next(2) == 0
                    ? new JsonArray([.. Enumerable.Range(0, 2000).Select(_ => (JsonNode)new JsonObject { ["capacity"] = 1 })])
                    : new JsonArray(new JsonObject { ["capacity"] = -1, ["format"] = placeholder });
                literals[placeholder] = Pick(random, Hostile).Json;
                break;
            default:
                target[key] = Pick(random, new JsonNode?[] { null, "", 0, -9_223_372_036_854_775_807L, true, new JsonArray("a", "b"), new JsonObject() });
                break;
        }
    }

    /// <summary>The seed rendered as CIMI XML with one structured or textual mutation.</summary>
    private static (string Text, byte[]? Bytes) MutatedXml(Shape shape, JsonObject seed, Random random)
    {
        var hostile = Pick(random, Hostile);
        var strings = seed.Where(p => p.Value is JsonValue v && v.TryGetValue<string>(out _)).Select(p => p.Key).ToList();
        var choice = random.Next(12);
        if (choice == 0 && strings.Count > 0) seed[strings[random.Next(strings.Count)]] = "@@xml@@";
        var root = random.Next(20) == 0 ? Pick(random, ["Machine", "machineconfiguration", "Foo", shape.XmlRoot.ToUpperInvariant()]) : shape.XmlRoot;
        var ns = random.Next(20) == 0 ? "urn:other" : Cimi;
        var xml = new StringBuilder();
        WriteElement(xml, root, seed, ns);
        var text = xml.ToString().Replace("@@xml@@", hostile.Xml);
        int Inside() => text.IndexOf('>') + 1;
        switch (choice)
        {
            case 1:
                return (text.Insert(Inside(), "<name>" + Pick(random, ["&#x1;", "&#xFFFF;", "&#xD800;", "&#0;", "&#x10FFFF;", "&#xFFFE;", "&#1114112;"]) + "</name>"), null);
            case 2:
                return ("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>" + text.Insert(Inside(), "<description>&b;</description>"), null);
            case 3:
                return ("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + text.Insert(Inside(), "<description>&x;</description>"), null);
            case 4:
                var depth = Pick(random, new[] { 30, 31, 32, 33, 200, 20_000 });
                return (text.Insert(Inside(), string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth))), null);
            case 5:
                return (text.Insert(Inside(), Pick(random, ["<name>a</name><name>b</name>", "<flavour>x</flavour>", "<?pi x?>", "<![CDATA[x]]>",
                    "<name xml:lang=\"x\" href=\"machineConfigs/1\">n</name>", "<property>nokey</property>", "<property key=\"a\">1</property><property key=\"a\">2</property>",
                    "<cpu>two</cpu>", "<memory>-1</memory>", "<x:y xmlns:x=\"urn:x\"><z/></x:y>", "<operation rel=\"edit\"/>", "<id>machineConfigs/x</id>"])), null);
            case 6:
                return (text[..random.Next(text.Length)], null);
            case 7:
                var bytes = Encoding.UTF8.GetBytes(text).ToList();
                bytes.InsertRange(random.Next(bytes.Count), Pick(random, new byte[][] { [0xC0, 0xAF], [0xFF], [0x00], [0xED, 0xA0, 0x80], [0x80] }));
                return (text, [.. bytes]);
            case 8:
                return (Pick(random, ["<?xml version=\"1.0\" encoding=\"UTF-16\"?>", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", "<?xml version=\"1.1\"?>",
                    "<?xml version=\"1.0\" encoding=\"bogus\"?>", "\uFEFF", "<!-- c -->"]) + text, null);
            case 9:
                return (text + Pick(random, ["<extra/>", "trailing", "<!-- -->", "&amp;"]), null);
            default:
                return (text, null);
        }
    }

    private static void WriteElement(StringBuilder xml, string name, JsonNode? value, string? ns = null)
    {
        switch (value)
        {
            case JsonObject o when name == "properties":
                foreach (var (k, v) in o) xml.Append($"<property key=\"{SecurityElement.Escape(k)}\">{SecurityElement.Escape(v?.ToString() ?? "")}</property>");
                return;
            case JsonObject o:
                xml.Append('<').Append(name);
                if (ns is not null) xml.Append($" xmlns=\"{ns}\"");
                if (o["href"] is JsonValue h) xml.Append($" href=\"{SecurityElement.Escape(h.ToString())}\"");
                xml.Append('>');
                foreach (var (k, v) in o.Where(p => p.Key != "href")) WriteElement(xml, k, v);
                xml.Append($"</{name}>");
                return;
            case JsonArray a:
                var singular = name.EndsWith('s') ? name[..^1] : name;
                foreach (var item in a) WriteElement(xml, singular, item);
                return;
            case null:
                xml.Append($"<{name}/>");
                return;
            default:
                var text = value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
                xml.Append($"<{name}>{SecurityElement.Escape(text)}</{name}>");
                return;
        }
    }

    /// <summary>A resource as its id and its collection row show it, keys sorted (the read model does not keep their order).</summary>
    private static async Task<(string ById, string? InCollection)> ReadBothAsync(World w, string id)
    {
        var collection = id.Split('/')[^2];
        var byId = await w.Client.GetAsync(id);
        Assert.True(byId.Code == 200, $"GET {id}: {byId}");
        var page = await w.Client.GetAsync($"{collection}?$filter=" + Uri.EscapeDataString($"id='{new Uri(id).AbsolutePath.Replace("/cimi/", "")}'"));
        var row = page.Code == 200 ? page.Json[ArrayOf[collection]]?.AsArray().FirstOrDefault() : null;
        return (Canonical(byId.Json, collection), row is null ? null : Canonical(row.AsObject(), collection));
    }

    private static string Canonical(JsonObject doc, string collection)
    {
        // A Machine's state moves by itself (its Job ends); what a consumer writes is what must not change.
        if (collection == "machines")
            doc = new JsonObject { ["name"] = doc["name"]?.DeepClone(), ["description"] = doc["description"]?.DeepClone(), ["properties"] = doc["properties"]?.DeepClone() };
        return Sorted(doc)!.ToJsonString();
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sorted)]),
        _ => node?.DeepClone(),
    };

    private static async Task SnapshotAsync(World w, string id)
    {
        var absolute = w.Client.Absolute(id);
        var (byId, _) = await ReadBothAsync(w, absolute);
        w.Snapshots[absolute] = byId;
    }

    private async Task CheckAsync(World w, int sent)
    {
        foreach (var c in Collections)
        {
            var count = (await w.Client.GetAsync(c)).Json["count"]!.GetValue<long>();
            if (count != w.Counts[c])
            {
                w.Failures.Add($"after #{sent}: {c} holds {count} items, but accepted creates make {w.Counts[c]}");
                w.Counts[c] = count;
            }
        }
        foreach (var (id, expected) in w.Snapshots.ToList())
        {
            var (byId, inCollection) = await ReadBothAsync(w, id);
            if (byId != expected) w.Failures.Add($"after #{sent}: {id} changed without an accepted request:\n  was {expected}\n  now {byId}");
            if (inCollection != byId) w.Failures.Add($"after #{sent}: {id} reads differently by id and in its collection:\n  by id {byId}\n  listed {inCollection}");
            w.Snapshots[id] = byId;
        }
        // The other tenant's resources are never touched by this tenant's requests.
        foreach (var c in Collections)
        {
            var theirs = await w.Other.GetAsync(c);
            if (theirs.Json["count"]!.GetValue<long>() != 1) w.Failures.Add($"after #{sent}: the other tenant's {c} changed: {theirs}");
        }
        output.WriteLine($"checked after {sent} requests");
    }
}
