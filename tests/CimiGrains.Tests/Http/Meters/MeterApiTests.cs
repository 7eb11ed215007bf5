using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Binding;
using Npgsql;
using static CimiGrains.Tests.Http.Meters.MeterDocs;

namespace CimiGrains.Tests.Http.Meters;

/// <summary>
/// The Meter family over HTTP against a real gateway with no host: Meters on a Machine (in ERROR, for
/// want of a host), their attributes and operations, bad input as a 400 naming the problem, and the
/// samples collection read from rows written straight into the samples table, so that the time range,
/// paging and aggregation are checked against known values.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class MeterApiTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_Meter_on_a_Machine_has_every_attribute_and_the_Machine_lists_it()
    {
        using var client = await fixture.NewTenantAsync();
        var machine = await CimiDocs.MachineWithoutHostAsync(client);
        var config = await CimiDocs.Created(client, "meterConfigs", Configuration(alarmThreshold: "80", clear: "50"));
        var template = await CimiDocs.Created(client, "meterTemplates", Template(Ref(config), machine));

        var meterId = await CimiDocs.Created(client, "meters", Create(Ref(template), "cpu"));

        var meter = (await client.GetAsync(meterId)).Json;
        Assert.Equal(machine, meter["targetResource"].Str("href"));
        Assert.Equal((Cpu, "percent", "Point", "PT1M", "STARTED"), (meter.Str("aspect"), meter.Str("units"), meter.Str("timeScope"),
            meter.Str("intervalDuration"), meter.Str("state")));
        Assert.Equal(1, meter["sampleInterval"]!.GetValue<int>());
        Assert.Equal(meterId + "/samples", meter["samples"].Str("href"));
        Assert.Contains("http://schemas.dmtf.org/cimi/1/action/stop", meter.Rels());
        Assert.Equal(machine + "/meters", (await client.GetAsync(machine)).Json["meters"].Str("href"));
        var listed = (await client.GetAsync(machine + "/meters")).Json;
        Assert.Equal(1, listed["count"]!.GetValue<int>());
        Assert.Equal(meterId, listed["meters"]![0].Str("id"));

        var xml = await client.GetAsync(meterId, "application/xml");
        CimiSchema.AssertValid(xml.Body);
        Assert.Equal(Cpu, XDocument.Parse(xml.Body).Root!.Element(XName.Get("aspect", CimiSchema.Namespace))!.Value);
        CimiSchema.AssertValid((await client.GetAsync(config, "application/xml")).Body);
        CimiSchema.AssertValid((await client.GetAsync(template, "application/xml")).Body);
        CimiSchema.AssertValid((await client.GetAsync(meterId + "/samples", "application/xml")).Body);
    }

    [Fact]
    public async Task Stop_and_start_answer_the_Meter_in_its_new_state()
    {
        using var client = await fixture.NewTenantAsync();
        var meter = await MeterAsync(client, await CimiDocs.MachineWithoutHostAsync(client));

        var stopped = await client.PostAsync(meter, new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/stop" });
        Assert.True(stopped.Code == 200, stopped.ToString());
        Assert.Equal("STOPPED", stopped.Json.Str("state"));
        Assert.Contains("http://schemas.dmtf.org/cimi/1/action/start", stopped.Json.Rels());
        var started = await client.PostAsync(meter, new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/start" });
        Assert.Equal("STARTED", started.Json.Str("state"));
        var bad = await client.PostAsync(meter, new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/restart" });
        Assert.True(bad.Code == 400 && bad.Body.Contains("not a Meter action"), bad.ToString());
    }

    public static TheoryData<string, string> BadConfigurations => new()
    {
        { """{"aspect":"urn:cimigrains:meter:aspect:gpu.temperature"}""", "is not an aspect CimiGrains measures" },
        { """{"aspect":"urn:cimigrains:meter:aspect:cpu.utilization","sampleInterval":0}""", "'sampleInterval' is in seconds and must be from 1" },
        { """{"aspect":"urn:cimigrains:meter:aspect:cpu.utilization","sampleInterval":100000}""", "'sampleInterval' is in seconds" },
        { """{"aspect":"urn:cimigrains:meter:aspect:cpu.utilization","units":"byte"}""", "is measured in 'percent', not 'byte'" },
        { """{"aspect":"urn:cimigrains:meter:aspect:cpu.utilization","timeScope":"Forever"}""", "'timeScope' must be Point or Interval" },
        { """{"aspect":"urn:cimigrains:meter:aspect:cpu.utilization","intervalDuration":"one minute"}""", "must be an xs:duration" },
        { """{"aspect":"urn:cimigrains:meter:aspect:cpu.utilization","sampleInterval":120,"intervalDuration":"PT1M"}""", "must be at least the sampleInterval" },
        { """{"aspect":"urn:cimigrains:meter:aspect:cpu.utilization","associatedTo":["Volume"]}""", "A Volume does not offer the aspect" },
        { """{"aspect":"urn:cimigrains:meter:aspect:cpu.utilization","alarmThreshold":"hot"}""", "'alarmThreshold' must be a number" },
        { """{"aspect":"urn:cimigrains:meter:aspect:cpu.utilization","alarmThreshold":"50","alarmClearThreshold":"60"}""", "must not be above 'alarmThreshold'" },
        { """{"units":"percent"}""", "needs an 'aspect' URI" },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task A_bad_MeterConfiguration_is_a_400_naming_the_problem(string body, string expected)
    {
        using var client = await fixture.NewTenantAsync();

        var response = await client.SendAsync(HttpMethod.Post, "meterConfigs", body, "application/json");

        Assert.True(response.Code == 400, response.ToString());
        Assert.Contains(expected, response.Body);
        Assert.Equal(0, (await client.GetAsync("meterConfigs")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_Meter_needs_an_existing_target_that_offers_its_aspect_and_a_time_range_in_order()
    {
        using var client = await fixture.NewTenantAsync();
        var machine = await CimiDocs.MachineWithoutHostAsync(client);
        var credential = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());

        async Task Refused(JsonObject create, string expected)
        {
            var response = await client.PostAsync("meters", create);
            // An href that names nothing of the tenant's is a 404, like its id in the URL; the rest are 400s.
            var code = expected == "which does not exist" ? 404 : 400;
            Assert.True(response.Code == code && response.Body.Contains(expected), $"{create.ToJsonString()}: {response}");
        }

        await Refused(Create(Template(Configuration(), credential)), "A Credential does not offer the aspect");
        await Refused(Create(Template(Configuration(), client.Cimi + "machines/0123456789abcdef0123456789abcdef")), "which does not exist");
        await Refused(Create(Template(Configuration())), "needs a 'targetResource'");
        await Refused(Create(Template(Configuration(sampleInterval: 0), machine)), "'sampleInterval' is in seconds");
        Assert.Equal(0, (await client.GetAsync("meters")).Json["count"]!.GetValue<int>());

        var meter = await MeterAsync(client, machine);
        var edit = await client.PutAsync(meter, new JsonObject
        {
            ["name"] = "m", ["sampleInterval"] = 1, ["stopTime"] = "2030-01-02T00:00:00Z", ["expiresTime"] = "2030-01-01T00:00:00Z",
        });
        Assert.True(edit.Code == 400 && edit.Body.Contains("the time range is reversed"), edit.ToString());
        var samples = await client.GetAsync(meter + "/samples?$filter=" + Uri.EscapeDataString("timestamp>='2026-01-02T00:00:00Z' and timestamp<'2026-01-01T00:00:00Z'"));
        Assert.True(samples.Code == 400 && samples.Body.Contains("The time range is reversed"), samples.ToString());
        var badAggregate = await client.GetAsync(meter + "/samples?$aggregate=PT0.1S");
        Assert.True(badAggregate.Code == 400 && badAggregate.Body.Contains("must be at least the Meter's sampleInterval"), badAggregate.ToString());
        var badFilter = await client.GetAsync(meter + "/samples?$filter=" + Uri.EscapeDataString("value>3"));
        Assert.True(badFilter.Code == 400 && badFilter.Body.Contains("compares 'timestamp'"), badFilter.ToString());
    }

    [Fact]
    public async Task Samples_are_read_by_time_range_paged_and_aggregated_per_interval_in_the_database()
    {
        using var client = await fixture.NewTenantAsync();
        var machine = await CimiDocs.MachineWithoutHostAsync(client);
        var meter = await MeterAsync(client, machine);
        // Three minutes of readings 0, 1, 2, … one a second, ten minutes ago (within the current day's partition or the previous one).
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(-10);
        var tenant = client.User[..^"-user".Length];
        var resource = machine[client.Cimi.Length..];
        await InsertSamplesAsync(tenant, resource, "cpu.utilization", start, 180);
        string Range(DateTimeOffset from, DateTimeOffset to) => "$filter=" + Uri.EscapeDataString(
            $"timestamp>='{from.ToString("O", CultureInfo.InvariantCulture)}' and timestamp<'{to.ToString("O", CultureInfo.InvariantCulture)}'");

        var perMinute = (await client.GetAsync($"{meter}/samples?{Range(start, start.AddMinutes(3))}&$aggregate=PT1M")).Json;

        Assert.Equal(3, perMinute["count"]!.GetValue<int>());
        var first = perMinute["samples"]![0]!["sample"]!;
        Assert.Equal(("0", "59", "29.5", "1770", 60), (first.Str("min"), first.Str("max"), first.Str("average"), first.Str("sum"), first["count"]!.GetValue<int>()));
        Assert.Equal("29.5", first.Str("value"));
        Assert.Equal(start, DateTimeOffset.Parse(first.Str("timestamp"), CultureInfo.InvariantCulture));
        Assert.Equal("149.5", perMinute["samples"]![2]!["sample"].Str("average"));

        // Without aggregation: one sample per sampleInterval (1 s), paged.
        var page = (await client.GetAsync($"{meter}/samples?{Range(start.AddSeconds(30), start.AddMinutes(3))}&$first=11&$last=15")).Json;
        Assert.Equal(150, page["count"]!.GetValue<int>());
        Assert.Equal(["40", "41", "42", "43", "44"], page["samples"]!.AsArray().Select(s => s!["sample"].Str("value")));

        // The collection in XML is a Collection the schema accepts, each sample's timestamp and value as attributes.
        var xml = await client.GetAsync($"{meter}/samples?{Range(start, start.AddMinutes(3))}&$aggregate=PT1M", "application/xml");
        CimiSchema.AssertValid(xml.Body);
        var readings = XDocument.Parse(xml.Body).Descendants(XName.Get("sample", CimiSchema.Namespace)).ToList();
        Assert.Equal(["29.5", "89.5", "149.5"], readings.Select(r => r.Attribute("value")!.Value));

        // Deleting the Machine deletes its Meters.
        var deleted = await client.DeleteAsync(machine);
        Assert.True(deleted.Code == 202, deleted.ToString());
        await client.WaitForJobAsync(deleted.JobUri());
        await Eventually.Until(() => client.GetAsync(meter), r => r.Code == 404, $"the Meter {meter} to go with its Machine");
    }

    [Fact]
    public async Task A_stopped_Meters_samples_leave_out_the_time_it_was_stopped()
    {
        using var client = await fixture.NewTenantAsync();
        var machine = await CimiDocs.MachineWithoutHostAsync(client);
        var meter = await MeterAsync(client, machine);
        var stopSent = DateTimeOffset.UtcNow;
        Assert.Equal(200, (await client.PostAsync(meter, new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/stop" })).Code);
        var stopAnswered = DateTimeOffset.UtcNow;
        await Task.Delay(3000);
        var startSent = DateTimeOffset.UtcNow;
        Assert.Equal(200, (await client.PostAsync(meter, new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/start" })).Code);
        var startAnswered = DateTimeOffset.UtcNow;
        // The hosts measured on all along: one reading a second from before the stop to after the start.
        var first = new DateTimeOffset(stopSent.UtcTicks - stopSent.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddSeconds(-5);
        var count = (int)(startAnswered - first).TotalSeconds + 3;
        await InsertSamplesAsync(client.User[..^"-user".Length], machine[client.Cimi.Length..], "cpu.utilization", first, count);
        // A samples collection ends at the present: wait until the last reading is in the past.
        await Task.Delay(first.AddSeconds(count + 1) - DateTimeOffset.UtcNow is { Ticks: > 0 } wait ? wait : TimeSpan.Zero);

        var range = "$filter=" + Uri.EscapeDataString(
            $"timestamp>='{first.ToString("O", CultureInfo.InvariantCulture)}' and timestamp<'{first.AddSeconds(count).ToString("O", CultureInfo.InvariantCulture)}'");
        var listed = (await client.GetAsync($"{meter}/samples?{range}&$first=1&$last={count}")).Json;
        var times = listed["samples"]!.AsArray().Select(x => DateTimeOffset.Parse(x!["sample"].Str("timestamp"), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(times.Count, listed["count"]!.GetValue<int>());
        // Nothing from the time it surely was stopped, everything from the time it surely ran.
        Assert.DoesNotContain(times, t => t >= stopAnswered && t < startSent);
        for (var i = 0; i < count; i++)
        {
            var t = first.AddSeconds(i);
            if (t < stopSent.AddSeconds(-1) || t >= startAnswered.AddSeconds(1)) Assert.Contains(t, times);
        }
        Assert.True(times.Count <= count - 2, $"{times.Count} of {count} readings listed, though the Meter was stopped for 3 s");
        // Aggregated alike: the sum leaves out the readings of the stopped period.
        var whole = (await client.GetAsync($"{meter}/samples?{range}&$aggregate=PT1H")).Json["samples"]!.AsArray()
            .Sum(x => x!["sample"]!["count"]!.GetValue<int>());
        Assert.Equal(times.Count, whole);
    }

    private Task InsertSamplesAsync(string tenant, string resource, string aspect, DateTimeOffset start, int count) =>
        MeterDocs.InsertSamplesAsync(fixture.Postgres, tenant, resource, aspect, start, count);
}
