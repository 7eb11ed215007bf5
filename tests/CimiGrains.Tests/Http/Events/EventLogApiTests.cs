using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CimiGrains.Tests.Binding;

namespace CimiGrains.Tests.Http.Events;

[Collection(GatewayCollection.Name)]
public sealed partial class EventLogApiTests(GatewayFixture fixture)
{
    private const string TenantLog = "eventLogs/tenant";

    private static string LogOf(string resourceId) => "eventLogs/" + resourceId.Replace('/', '.');

    private static string Relative(CimiClient client, string href) => href.StartsWith(client.Cimi, StringComparison.Ordinal) ? href[client.Cimi.Length..] : href;

    /// <summary>The events of a log, in the log's order, once <paramref name="done"/> holds of them.</summary>
    private static async Task<List<JsonObject>> EventsAsync(CimiClient client, string logId, Func<List<JsonObject>, bool> done, string awaited,
        string query = "")
    {
        var response = await Eventually.Until(() => client.GetAsync($"{logId}/events{query}"),
            r => r.Code == 200 && done(Items(r.Json)), awaited);
        return Items(response.Json);
    }

    private static List<JsonObject> Items(JsonObject collection) =>
        collection["events"] is JsonArray a ? [.. a.Select(e => e!.AsObject())] : [];

    private static long Number(CimiClient client, JsonObject e) => long.Parse(Relative(client, e.Str("id"))["events/".Length..]);

    private static string? Content(JsonObject e, string name) => e["content"]?[name]?.GetValue<string>();

    [Fact]
    public async Task A_machine_without_a_host_has_its_create_and_its_ERROR_in_its_EventLog_once_and_in_order()
    {
        using var client = await fixture.NewTenantAsync();
        var machine = Relative(client, await CimiDocs.MachineWithoutHostAsync(client));

        var log = await client.GetAsync(LogOf(machine));
        Assert.True(log.Code == 200, log.ToString());
        Assert.Equal(client.Absolute(machine), log.Json["targetResource"]!.Str("href"));
        Assert.Equal(client.Absolute(LogOf(machine) + "/events"), log.Json["events"]!.Str("href"));

        var events = await EventsAsync(client, LogOf(machine), e => e.Any(x => Content(x, "state") == "ERROR"), "the Machine's ERROR event");
        Assert.All(events, e => Assert.Equal(client.Absolute(machine), e["content"]!["resource"]!.Str("href")));
        Assert.Equal("create", Content(events[0], "change"));
        Assert.Equal(CimiSchema.Namespace + "/event/model", events[0].Str("type"));
        var states = events.Where(e => e.Str("type").EndsWith("/state", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(states);
        Assert.Equal(("CREATING", "ERROR"), (Content(error, "previous"), Content(error, "state")));
        Assert.Equal("high", error.Str("severity"));
        Assert.Equal("Failure", error.Str("outcome"));
        Assert.Equal(client.User, error.Str("contact"));
        var numbers = events.Select(e => Number(client, e)).ToList();
        Assert.Equal(numbers.Order(), numbers);
        Assert.Equal(numbers.Count, numbers.Distinct().Count());

        var summary = (await client.GetAsync(LogOf(machine))).Json["summary"]!;
        Assert.Equal(1, summary["high"]!.GetValue<long>());
        Assert.Equal(events.Count - 1, summary["low"]!.GetValue<long>());

        // The create Job failed: its log ends with FAILED, outcome Failure; the tenant's log has both resources' events.
        var jobs = (await client.GetAsync("jobs")).Json["jobs"]!.AsArray();
        var job = Relative(client, jobs.Single(j => j!["targetResource"]!.Str("href") == client.Absolute(machine))!.Str("id"));
        var jobEvents = await EventsAsync(client, LogOf(job), e => e.Any(x => Content(x, "state") == "FAILED"), "the Job's FAILED event");
        Assert.Equal("Failure", jobEvents.Single(x => Content(x, "state") == "FAILED").Str("outcome"));
        var all = await EventsAsync(client, TenantLog, e => e.Count >= events.Count + jobEvents.Count, "the tenant's log to hold both");
        Assert.Superset(events.Concat(jobEvents).Select(e => e.Str("id")).ToHashSet(), all.Select(e => e.Str("id")).ToHashSet());

        // Queried like any collection.
        var high = await EventsAsync(client, TenantLog, e => e.Count > 0, "high events", "?$filter=severity='high'");
        Assert.All(high, e => Assert.Equal("high", e.Str("severity")));
        var errors = await EventsAsync(client, LogOf(machine), e => e.Count == 1, "the one ERROR by content/state", "?$filter=content/state='ERROR'");
        Assert.Equal(error.Str("id"), errors[0].Str("id"));
        var last = await client.GetAsync($"{LogOf(machine)}/events?$orderby=timestamp:desc&$first=1&$last=1&$select=id");
        Assert.Equal(events.Count, last.Json["count"]!.GetValue<int>());
        Assert.Single(Items(last.Json));
    }

    [Fact]
    public async Task Reading_the_log_then_resuming_the_stream_with_Last_Event_ID_loses_nothing_and_repeats_nothing()
    {
        try
        {
            await ResumingAsync();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e}\n--- gateway log\n{fixture.Gateway.Log}");
        }
    }

    private async Task ResumingAsync()
    {
        using var client = await fixture.NewTenantAsync();
        await using (var stream = await EventStreamClient.OpenAsync(client, TenantLog, Tenants.Password))
        {
            for (var i = 0; i < 3; i++) await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());
            await stream.UntilAsync(r => r.Count >= 3, "the three creates");
            Assert.Equal(3, stream.Received.Count);
            Assert.All(stream.Received, e => Assert.Equal("model", e.Type));
        }
        // While nobody listens, more happens; the read of the log and a subscription from its last id meet exactly.
        for (var i = 0; i < 3; i++) await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());
        var read = await EventsAsync(client, TenantLog, e => e.Count == 6, "the six creates in the log");
        var lastRead = Number(client, read[^1]);
        await using (var resumed = await EventStreamClient.OpenAsync(client, TenantLog, Tenants.Password, lastEventId: Number(client, read[2])))
        {
            await resumed.UntilAsync(r => r.Count >= 3, "the three events after the third");
            Assert.Equal(read.Skip(3).Select(e => Number(client, e)), resumed.Received.Select(e => e.Id));
            var config = await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());
            await resumed.UntilAsync(r => r.Count >= 4, "the live create");
            Assert.Equal(client.Absolute(config), resumed.Received[3].Data["content"]!["resource"]!.Str("href"));
            Assert.True(resumed.Received[3].Id > lastRead);
            Assert.Equal($"{client.Cimi}events/{resumed.Received[3].Id}", resumed.Received[3].Data.Str("id"));
        }
        var final = await EventsAsync(client, TenantLog, e => e.Count == 7, "seven events");
        var ids = final.Select(e => Number(client, e)).ToList();
        Assert.Equal(ids.Distinct().Order(), ids);
    }

    [Fact]
    public async Task The_stream_narrows_by_filter_and_refuses_bad_input_with_4xx()
    {
        using var client = await fixture.NewTenantAsync();
        using var other = await fixture.NewTenantAsync();
        var config = Relative(client, await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration()));
        await CimiDocs.Created(other, "machineConfigs", CimiDocs.Configuration());
        var mine = await EventsAsync(client, TenantLog, e => e.Count == 1, "the create");
        var theirs = await EventsAsync(other, TenantLog, e => e.Count == 1, "the other tenant's create");

        foreach (var (lastId, why) in new[] { ("abc", "not a number"), ("0", "zero"), ("999999999999", "no such event"),
                     (Number(other, theirs[0]).ToString(), "another tenant's event") })
        {
            var refused = await client.SendAsync(HttpMethod.Get, $"{TenantLog}/stream", null, null, "text/event-stream",
                new Dictionary<string, string> { ["Last-Event-ID"] = lastId });
            Assert.True(refused.Code == 400, $"Last-Event-ID {lastId} ({why}): {refused}");
            Assert.Contains("Last-Event-ID", refused.Json.Str("message"));
        }
        var badFilter = await client.GetAsync($"{TenantLog}/stream?$filter=nosuch='x'", "text/event-stream");
        Assert.Equal(400, badFilter.Code);
        Assert.Contains("nosuch", badFilter.Json.Str("message"));
        Assert.Equal(400, (await client.GetAsync($"{TenantLog}/events?$filter=nosuch='x'")).Code);
        Assert.Equal(400, (await client.GetAsync($"{TenantLog}/events?$filter=severity=")).Code);
        Assert.Equal(406, (await client.GetAsync($"{TenantLog}/stream", "application/json")).Code);
        Assert.Equal(404, (await client.GetAsync("eventLogs/machines.0123456789abcdef0123456789abcdef/stream", "text/event-stream")).Code);

        // Narrowed: only state events of this tenant arrive, though a model event happens first.
        await using var stream = await EventStreamClient.OpenAsync(client, TenantLog, Tenants.Password,
            lastEventId: Number(client, mine[0]), query: "?$filter=severity='high'");
        await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());
        await CimiDocs.MachineWithoutHostAsync(client);
        await stream.UntilAsync(r => r.Count >= 1, "the Machine's ERROR");
        Assert.All(stream.Received, e => Assert.Equal("high", e.Data.Str("severity")));
        Assert.Equal("state", stream.Received[0].Type);
        Assert.NotEqual(client.Absolute(config), stream.Received[0].Data["content"]!["resource"]!.Str("href"));
    }

    [Fact]
    public async Task Events_are_immutable_and_EventLogs_are_implicit()
    {
        using var client = await fixture.NewTenantAsync();
        await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());
        var e = (await EventsAsync(client, TenantLog, x => x.Count == 1, "the create"))[0];
        var id = Relative(client, e.Str("id"));
        Assert.Equal(200, (await client.GetAsync(id)).Code);
        var put = await client.PutAsync(id, new JsonObject { ["severity"] = "low" });
        Assert.Equal(405, put.Code);
        Assert.Contains("immutable", put.Json.Str("message"));
        Assert.Equal(405, (await client.DeleteAsync(id)).Code);
        Assert.Equal(405, (await client.PostAsync("events", new JsonObject())).Code);
        // A POST is an EventLogCreate (EventLogTemplateApiTests): without its template, a 400.
        Assert.Equal(400, (await client.PostAsync("eventLogs", new JsonObject())).Code);
        Assert.Equal(405, (await client.PutAsync(TenantLog, new JsonObject { ["name"] = "x" })).Code);
        Assert.Equal(405, (await client.DeleteAsync(TenantLog)).Code);
        Assert.Equal(200, (await client.GetAsync(id)).Code);
        Assert.Equal(404, (await client.GetAsync("events/abc")).Code);
        Assert.Equal(404, (await client.GetAsync("eventLogs/nothing")).Code);
    }

    [Fact]
    public async Task Another_tenants_EventLogs_and_Events_are_404()
    {
        using var alice = await fixture.NewTenantAsync();
        using var bob = await fixture.NewTenantAsync();
        var config = Relative(alice, await CimiDocs.Created(alice, "machineConfigs", CimiDocs.Configuration()));
        var e = (await EventsAsync(alice, TenantLog, x => x.Count == 1, "alice's create"))[0];

        Assert.Equal(200, (await alice.GetAsync(LogOf(config))).Code);
        Assert.Equal(404, (await bob.GetAsync(LogOf(config))).Code);
        Assert.Equal(404, (await bob.GetAsync($"{LogOf(config)}/events")).Code);
        Assert.Equal(404, (await bob.GetAsync($"{LogOf(config)}/stream", "text/event-stream")).Code);
        Assert.Equal(404, (await bob.GetAsync($"events/{Number(alice, e)}")).Code);
        var bobs = (await bob.GetAsync("events")).Json;
        Assert.DoesNotContain(Items(bobs), x => x.Str("id").EndsWith($"/events/{Number(alice, e)}", StringComparison.Ordinal));
        var bobLog = (await bob.GetAsync(TenantLog)).Json;
        Assert.Equal(bob.Absolute(TenantLog), bobLog.Str("id"));
        Assert.Null(bobLog["targetResource"]);
        Assert.Equal(1, (await bob.GetAsync("eventLogs")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_refused_cross_tenant_GET_answers_as_a_missing_id_and_is_an_access_event_in_the_victims_log()
    {
        using var alice = await fixture.NewTenantAsync();
        using var bob = await fixture.NewTenantAsync();
        var local = Relative(alice, await CimiDocs.Created(alice, "machineConfigs", CimiDocs.Configuration()))["machineConfigs/".Length..];
        const string missing = "0123456789abcdef0123456789abcdef";

        var refused = await bob.GetAsync($"machineConfigs/{local}");
        var absent = await bob.GetAsync($"machineConfigs/{missing}");
        Assert.Equal(404, refused.Code);
        Assert.Equal(Normalized(absent.Body.Replace(missing, "{id}")), Normalized(refused.Body.Replace(local, "{id}")));
        Assert.Equal(absent.ContentType, refused.ContentType);
        Assert.Equal(absent.Headers.Keys.Order(), refused.Headers.Keys.Order());

        var access = await EventsAsync(alice, TenantLog, e => e.Any(x => x.Str("type").EndsWith("/access", StringComparison.Ordinal)),
            "the access event in alice's log");
        var recorded = Assert.Single(access, x => x.Str("type").EndsWith("/access", StringComparison.Ordinal));
        Assert.Equal(alice.Absolute($"machineConfigs/{local}"), recorded["content"]!["resource"]!.Str("href"));
        Assert.Equal($"GET machineConfigs/{local}", Content(recorded, "operation"));
        Assert.Contains(bob.User, Content(recorded, "initiator"));
        Assert.Equal(("Failure", "medium"), (recorded.Str("outcome"), recorded.Str("severity")));
        // The refusal is alice's business only, and the truly missing id concerns nobody.
        Assert.DoesNotContain((await bob.GetAsync($"{TenantLog}/events")).Json["events"]?.AsArray() ?? [],
            x => x!.Str("type").EndsWith("/access", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_login_is_an_access_event_in_the_users_tenant_log()
    {
        using var alice = await fixture.NewTenantAsync();
        using var intruder = fixture.Gateway.Client(alice.User, "not-the-password");
        Assert.Equal(401, (await intruder.GetAsync("cloudEntryPoint")).Code);
        var events = await EventsAsync(alice, TenantLog, e => e.Any(x => Content(x, "operation") == "login"), "the refused login");
        var login = events.Single(x => Content(x, "operation") == "login");
        Assert.Equal(CimiSchema.Namespace + "/event/access", login.Str("type"));
        Assert.Equal("Failure", login.Str("outcome"));
        Assert.Equal(alice.User, login.Str("contact"));
        Assert.Null(login["content"]!["resource"]);
    }

    [Fact]
    public async Task EventLogs_and_Events_in_XML_are_valid_against_DSP8009_and_match_their_golden_files()
    {
        using var client = await fixture.NewTenantAsync();
        var tenant = client.User[..^"-user".Length];
        var config = Relative(client, await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration()));
        var e = (await EventsAsync(client, TenantLog, x => x.Count == 1, "the create"))[0];
        var documents = new[]
        {
            ("EventLogCollection", "eventLogs"), ("EventLog", TenantLog), ("EventLog-resource", LogOf(config)),
            ("EventCollection", $"{TenantLog}/events"), ("Event", Relative(client, e.Str("id"))),
        };
        foreach (var (shape, url) in documents)
        {
            var json = await client.GetAsync(url, "application/json");
            var xml = await client.GetAsync(url, "application/xml");
            Assert.True(json.Code == 200 && xml.Code == 200, $"{url}: {json} / {xml}");
            CimiSchema.AssertValid(xml.Body);
            GoldenFiles.VerifyJson(shape, JsonNode.Parse(Stable(json.Body, tenant))!);
            GoldenFiles.VerifyXml(shape, Stable(System.Xml.Linq.XDocument.Parse(xml.Body).ToString(), tenant));
        }
    }

    /// <summary>What differs between two runs: the tenant, event numbers, the request id in an event's detail.</summary>
    private static string Stable(string text, string tenant) =>
        RequestDetail().Replace(EventNumber().Replace(text.Replace(tenant, "{tenant}", StringComparison.Ordinal), "events/{n}"), "request {requestId}");

    private static string Normalized(string body) => RequestIdField().Replace(body, "\"requestId\":\"{requestId}\"");

    [GeneratedRegex(@"events/\d+")]
    private static partial Regex EventNumber();

    [GeneratedRegex(@"request [^""<]+")]
    private static partial Regex RequestDetail();

    [GeneratedRegex(@"""requestId"":\s*""[^""]*""")]
    private static partial Regex RequestIdField();
}
