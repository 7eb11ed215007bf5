using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Binding;
using CimiGrains.Tests.Http.Networks;
using static CimiGrains.Tests.Http.Meters.MeterDocs;

namespace CimiGrains.Tests.Http.Meters;

/// <summary>
/// Meters of Networks and NetworkPorts over HTTP against a real gateway with no host, on readings written straight
/// into the samples table: a port's Meter reads its own series, a Network's is the sum of its ports' per sampling
/// period; a NetworkTemplate's and a SystemTemplate's meterTemplates (and eventLogTemplate) make Meters (and the
/// explicit EventLog) with the resource, and a bad one is a 400 that leaves nothing made; a Network Meter's alarm is raised and cleared by its ports' sum, which no host
/// reports (the Meter watches it).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class NetworkMeterApiTests(GatewayFixture fixture)
{
    private const string Received = "urn:cimigrains:meter:aspect:network.received";
    private const string Packets = "urn:cimigrains:meter:aspect:network.packets.transmitted";

    private static async Task<(string Network, string PortA, string PortB)> NetworkWithTwoPortsAsync(CimiClient client, string subnet)
    {
        var network = await CimiDocs.Created(client, "networks", NetworkDocs.CreateByValue(subnet));
        var a = await CimiDocs.Created(client, "networkPorts", NetworkDocs.PortCreate(new JsonObject { ["network"] = NetworkDocs.Ref(network) }));
        var b = await CimiDocs.Created(client, "networkPorts", NetworkDocs.PortCreate(new JsonObject { ["network"] = NetworkDocs.Ref(network) }));
        return (network, a, b);
    }

    private static string Tenant(CimiClient client) => client.User[..^"-user".Length];

    private static string Range(DateTimeOffset from, DateTimeOffset to) => "$filter=" + Uri.EscapeDataString(
        $"timestamp>='{from.ToString("O", CultureInfo.InvariantCulture)}' and timestamp<'{to.ToString("O", CultureInfo.InvariantCulture)}'");

    [Fact]
    public async Task A_ports_Meter_reads_its_series_and_a_Networks_Meter_the_sum_of_its_ports()
    {
        using var client = await fixture.NewTenantAsync();
        var (network, a, b) = await NetworkWithTwoPortsAsync(client, "10.71.0.0/24");
        Assert.Equal(network + "/meters", (await client.GetAsync(network)).Json["meters"].Str("href"));
        Assert.Equal(a + "/meters", (await client.GetAsync(a)).Json["meters"].Str("href"));
        CimiSchema.AssertValid((await client.GetAsync(network, "application/xml")).Body);
        CimiSchema.AssertValid((await client.GetAsync(a, "application/xml")).Body);
        var portMeter = await MeterAsync(client, a, Received);
        var networkMeter = await MeterAsync(client, network, Received);
        Assert.Equal(portMeter, (await client.GetAsync(a + "/meters")).Json["meters"]![0].Str("id"));
        Assert.Equal("byte/s", (await client.GetAsync(portMeter)).Json.Str("units"));

        // Two minutes of readings, one a second: port a 0, 1, 2, …; port b 10 each.
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(-5);
        await InsertSamplesAsync(fixture.Postgres, Tenant(client), a[client.Cimi.Length..], "network.received", start, 120);
        await InsertSamplesAsync(fixture.Postgres, Tenant(client), b[client.Cimi.Length..], "network.received", start, 120, value: 10);

        var port = (await client.GetAsync($"{portMeter}/samples?{Range(start, start.AddMinutes(2))}&$aggregate=PT1M")).Json["samples"]!.AsArray();
        Assert.Equal(["29.5", "89.5"], port.Select(s => s!["sample"].Str("average")));
        var sum = (await client.GetAsync($"{networkMeter}/samples?{Range(start, start.AddMinutes(2))}&$aggregate=PT1M")).Json["samples"]!.AsArray();
        Assert.Equal(["39.5", "99.5"], sum.Select(s => s!["sample"].Str("average")));
        Assert.Equal(["10", "70"], sum.Select(s => s!["sample"].Str("min")));
        CimiSchema.AssertValid((await client.GetAsync($"{networkMeter}/samples?{Range(start, start.AddMinutes(2))}&$aggregate=PT1M", "application/xml")).Body);

        // Packets are a port's and a Network's aspect, not a Machine's; CPU is no Network's.
        var machine = await CimiDocs.MachineWithoutHostAsync(client);
        var refused = await client.PostAsync("meters", Create(Template(Configuration(Packets), machine)));
        Assert.True(refused.Code == 400 && refused.Body.Contains("A Machine does not offer the aspect"), refused.ToString());
        var cpu = await client.PostAsync("meters", Create(Template(Configuration(Cpu), network)));
        Assert.True(cpu.Code == 400 && cpu.Body.Contains("network.packets.received"), cpu.ToString());
    }

    [Fact]
    public async Task NetworkTemplate_and_SystemTemplate_meterTemplates_and_eventLogTemplate_are_made_with_the_resource_and_a_bad_one_makes_nothing()
    {
        using var client = await fixture.NewTenantAsync();
        var byValue = new JsonArray(Template(Configuration(Received)));
        var network = await CimiDocs.Created(client, "networks", NetworkDocs.Create(new JsonObject
        {
            ["networkConfig"] = NetworkDocs.Configuration("10.72.0.0/24"), ["meterTemplates"] = byValue,
            ["eventLogTemplate"] = Events.EventLogDocs.Template(null, "P1D", "network audit"),
        }));
        var log = (await client.GetAsync((await client.GetAsync(network)).Json["eventLog"].Str("href"))).Json;
        Assert.Equal(("network audit", "P1D"), (log.Str("name"), log.Str("persistence")));
        var meters = (await client.GetAsync(network + "/meters")).Json;
        Assert.Equal(1, meters["count"]!.GetValue<int>());
        Assert.Equal(Received, (await client.GetAsync(meters["meters"]![0].Str("id"))).Json.Str("aspect"));

        var bad = await client.PostAsync("networks", NetworkDocs.Create(new JsonObject
        {
            ["networkConfig"] = NetworkDocs.Configuration("10.73.0.0/24"), ["meterTemplates"] = new JsonArray(Template(Configuration(Cpu))),
        }, "bad"));
        Assert.True(bad.Code == 400 && bad.Body.Contains("a Network does not offer the aspect"), bad.ToString());
        Assert.Equal(1, (await client.GetAsync("networks")).Json["count"]!.GetValue<int>());
        var badTemplate = await client.PostAsync("networkTemplates", new JsonObject
        {
            ["name"] = "t", ["networkConfig"] = NetworkDocs.Configuration("10.74.0.0/24"), ["meterTemplates"] = new JsonArray(Template(Configuration(Cpu))),
        });
        Assert.True(badTemplate.Code == 400 && badTemplate.Body.Contains("a Network does not offer the aspect"), badTemplate.ToString());

        // A SystemTemplate's: stored by reference, the System made from it has the Meter; in XML the template is DSP8009's.
        var meterTemplate = await CimiDocs.Created(client, "meterTemplates", Template(Configuration(Cpu)));
        var logTemplate = await CimiDocs.Created(client, "eventLogTemplates", Events.EventLogDocs.Template(null, "PT12H", "system audit"));
        var systemTemplate = await CimiDocs.Created(client, "systemTemplates", new JsonObject
        {
            ["name"] = "empty", ["componentDescriptors"] = new JsonArray(), ["meterTemplates"] = new JsonArray(Ref(meterTemplate)),
            ["eventLogTemplate"] = Ref(logTemplate),
        });
        var xml = await client.GetAsync(systemTemplate, "application/xml");
        CimiSchema.AssertValid(xml.Body);
        Assert.Equal(meterTemplate, XDocument.Parse(xml.Body).Root!.Element(XName.Get("meterTemplates", CimiSchema.Namespace))!.Attribute("href")!.Value);
        var created = await client.PostAsync("systems", new JsonObject { ["name"] = "s", ["systemTemplate"] = Ref(systemTemplate) });
        Assert.True(created.Code == 202, created.ToString());
        var system = created.Header("Location")!;
        await client.WaitForJobAsync(created.JobUri());
        var systemMeters = (await client.GetAsync(system + "/meters")).Json;
        Assert.Equal(1, systemMeters["count"]!.GetValue<int>());
        var systemLog = (await client.GetAsync((await client.GetAsync(system)).Json["eventLog"].Str("href"))).Json;
        Assert.Equal(("system audit", "PT12H"), (systemLog.Str("name"), systemLog.Str("persistence")));
        var badLog = await client.PostAsync("networks", NetworkDocs.Create(new JsonObject
        {
            ["networkConfig"] = NetworkDocs.Configuration("10.76.0.0/24"), ["eventLogTemplate"] = Events.EventLogDocs.Template(null, "WEEKLY"),
        }, "badlog"));
        Assert.True(badLog.Code == 400 && badLog.Body.Contains("'persistence'"), badLog.ToString());
        Assert.Equal(1, (await client.GetAsync("networks")).Json["count"]!.GetValue<int>());
        var badSystem = await client.PostAsync("systemTemplates", new JsonObject
        {
            ["name"] = "bad", ["componentDescriptors"] = new JsonArray(), ["meterTemplates"] = new JsonArray(Template(Configuration(Packets, associatedTo: "System"))),
        });
        Assert.True(badSystem.Code == 400 && badSystem.Body.Contains("System does not offer the aspect"), badSystem.ToString());
    }

    [Fact]
    public async Task A_Network_Meters_alarm_follows_the_sum_of_its_ports_and_clears_with_it()
    {
        using var client = await fixture.NewTenantAsync();
        var (network, a, b) = await NetworkWithTwoPortsAsync(client, "10.75.0.0/24");
        // Each port alone stays below the threshold; the two together cross it for 10 s, then fall back.
        var meter = await MeterAsync(client, network, Received, alarmThreshold: "1000", clear: "500");
        var start = DateTimeOffset.UtcNow.AddSeconds(-5);
        foreach (var port in new[] { a, b })
        {
            await InsertSamplesAsync(fixture.Postgres, Tenant(client), port[client.Cimi.Length..], "network.received", start, 15, value: 600);
            await InsertSamplesAsync(fixture.Postgres, Tenant(client), port[client.Cimi.Length..], "network.received", start.AddSeconds(15), 40, value: 100);
        }

        async Task<IReadOnlyList<string>> AlarmCodesAsync()
        {
            var events = (await client.GetAsync("events?$filter=" + Uri.EscapeDataString("type='http://schemas.dmtf.org/cimi/1/event/alarm'"))).Json;
            return [.. (events["events"]?.AsArray() ?? []).Select(e => e!["content"].Str("code"))];
        }

        await Eventually.Until(AlarmCodesAsync, codes => codes.Contains("threshold.exceeded"), "the Network Meter's alarm", TimeSpan.FromSeconds(30));
        Assert.True((await client.GetAsync(meter)).Json["alarmRaised"]?.GetValue<bool>() ?? false);
        var codes = await Eventually.Until(AlarmCodesAsync, c => c.Contains("threshold.cleared"), "the alarm to clear", TimeSpan.FromSeconds(40));
        Assert.Equal(["threshold.exceeded", "threshold.cleared"], codes.Order(StringComparer.Ordinal).Reverse());
    }
}
