using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Binding;
using static CimiGrains.Tests.Http.Events.EventLogDocs;

namespace CimiGrains.Tests.Http.Events;

/// <summary>
/// EventLogTemplates, EventLogCreate and explicit EventLogs (docs/EVENTS.md). The fixture keeps events for
/// the default retention, 30 days (P30D): the longest persistence a log may ask for.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class EventLogTemplateApiTests(GatewayFixture fixture)
{
    private const string Retention = "P30D";

    private static string LogOf(CimiClient client, string resourceId) =>
        "eventLogs/" + Relative(client, resourceId).Replace('/', '.');

    private static string Relative(CimiClient client, string href) => href.StartsWith(client.Cimi, StringComparison.Ordinal) ? href[client.Cimi.Length..] : href;

    private static Task<string> ConfigAsync(CimiClient client) => CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());

    [Fact]
    public async Task EventLogTemplates_are_created_read_edited_queried_and_deleted_in_JSON_and_XML()
    {
        using var client = await fixture.NewTenantAsync();
        var target = await ConfigAsync(client);
        var id = await CimiDocs.Created(client, "eventLogTemplates", Template(target, "P7D"));
        var read = (await client.GetAsync(id)).Json;
        Assert.Equal(("audit", "P7D", target), (read.Str("name"), read.Str("persistence"), read["targetResource"].Str("href")));
        Assert.Contains("edit", read.Rels());

        var xml = await client.GetAsync(id, "application/xml");
        CimiSchema.AssertValid(xml.Body);
        var ns = XNamespace.Get(CimiSchema.Namespace);
        Assert.Equal(["id", "name", "description", "created", "updated", "targetResource", "persistence", "operation", "operation"],
            XDocument.Parse(xml.Body).Root!.Elements().Select(e => e.Name.LocalName));

        // Created from XML, as DSP8009 orders it.
        var body = new XElement(ns + "EventLogTemplate", new XElement(ns + "name", "from xml"),
            new XElement(ns + "targetResource", new XAttribute("href", target)), new XElement(ns + "persistence", "PT12H")).ToString();
        var fromXml = await client.SendAsync(HttpMethod.Post, "eventLogTemplates", body, "application/xml", "application/xml");
        Assert.True(fromXml.Code == 201, fromXml.ToString());
        CimiSchema.AssertValid(fromXml.Body);
        Assert.Equal("PT12H", XDocument.Parse(fromXml.Body).Root!.Element(ns + "persistence")!.Value);

        var edited = await client.PutAsync(id, new JsonObject { ["name"] = "audit", ["persistence"] = "P1D", ["targetResource"] = Ref(target) });
        Assert.True(edited.Code == 200, edited.ToString());
        Assert.Equal("P1D", edited.Json.Str("persistence"));

        var list = (await client.GetAsync("eventLogTemplates?$filter=persistence='P1D'")).Json;
        Assert.Equal(1, list["count"]!.GetValue<int>());
        Assert.Equal(client.Absolute(id), list["eventLogTemplates"]![0].Str("id"));
        Assert.Equal(2, (await client.GetAsync("eventLogTemplates")).Json["count"]!.GetValue<int>());

        Assert.Equal(200, (await client.DeleteAsync(id)).Code);
        Assert.Equal(404, (await client.GetAsync(id)).Code);
    }

    [Theory]
    [InlineData("forever", Retention)]
    [InlineData("P60D", Retention)]
    [InlineData("P1Y", Retention)]
    [InlineData("7 days", "xs:duration")]
    [InlineData("WEEKLY", "xs:duration")]
    [InlineData("P0D", "positive")]
    [InlineData("-P1D", "positive")]
    public async Task A_persistence_that_is_no_duration_or_longer_than_the_retention_is_a_400_naming_the_problem(string persistence, string named)
    {
        using var client = await fixture.NewTenantAsync();
        var target = await ConfigAsync(client);
        var template = await client.PostAsync("eventLogTemplates", Template(target, persistence));
        Assert.True(template.Code == 400, $"template with persistence {persistence}: {template}");
        Assert.Contains(named, template.Json.Str("message"));
        Assert.Contains("persistence", template.Json.Str("message"));
        var create = await client.PostAsync("eventLogs", Create(Template(target, persistence)));
        Assert.True(create.Code == 400, $"EventLogCreate with persistence {persistence}: {create}");
        Assert.Contains(named, create.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync("eventLogTemplates")).Json["count"]!.GetValue<int>());
        Assert.Equal(1, (await client.GetAsync("eventLogs")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_EventLogCreate_makes_the_targets_log_explicit_once_and_deleting_it_leaves_the_implicit_log()
    {
        using var client = await fixture.NewTenantAsync();
        var target = await ConfigAsync(client);
        var log = LogOf(client, target);
        var template = await CimiDocs.Created(client, "eventLogTemplates", Template(target, "P7D", name: "from template"));

        var created = await client.PostAsync("eventLogs", Create(Ref(template)));
        Assert.True(created.Code == 201, created.ToString());
        Assert.Equal(client.Absolute(log), created.Header("Location"));
        Assert.Equal(client.Absolute(log), created.Json.Str("id"));
        Assert.Equal(("audit log", "who did what", "P7D"), (created.Json.Str("name"), created.Json.Str("description"), created.Json.Str("persistence")));
        Assert.Equal(target, created.Json["targetResource"].Str("href"));
        Assert.Equal(client.Absolute(log + "/events"), created.Json["events"].Str("href"));

        var read = await client.GetAsync(log);
        Assert.Equal(("audit log", "P7D"), (read.Json.Str("name"), read.Json.Str("persistence")));
        Assert.Equal(["edit", "delete"], read.Json.Rels());
        // Its events are the resource's, as before it was explicit.
        var events = await Eventually.Until(() => client.GetAsync(log + "/events"), r => r.Json["count"]?.GetValue<int>() >= 1, "the config's create");
        Assert.Equal("create", events.Json["events"]![0]!["content"].Str("change"));
        var xml = await client.GetAsync(log, "application/xml");
        CimiSchema.AssertValid(xml.Body);

        // A second one for the same target is a 409 naming the log; so is one by value.
        var again = await client.PostAsync("eventLogs", Create(Template(target, null)));
        Assert.True(again.Code == 409, again.ToString());
        Assert.Contains(log, again.Json.Str("message"));

        // The collection lists the tenant's log and the explicit one, and is queried like any other.
        var list = (await client.GetAsync("eventLogs")).Json;
        Assert.Equal(2, list["count"]!.GetValue<int>());
        Assert.Contains("add", list.Rels());
        var byName = (await client.GetAsync("eventLogs?$filter=name='audit log'")).Json;
        Assert.Equal(client.Absolute(log), Assert.Single(byName["eventLogs"]!.AsArray())!.Str("id"));

        var edited = await client.PutAsync(log, new JsonObject { ["name"] = "renamed", ["persistence"] = "PT12H" });
        Assert.True(edited.Code == 200, edited.ToString());
        Assert.Equal(("renamed", "PT12H", target), (edited.Json.Str("name"), edited.Json.Str("persistence"), edited.Json["targetResource"].Str("href")));
        var longer = await client.PutAsync(log, new JsonObject { ["name"] = "renamed", ["persistence"] = "P31D" });
        Assert.Equal(400, longer.Code);
        Assert.Contains(Retention, longer.Json.Str("message"));
        Assert.Equal(405, (await client.PutAsync("eventLogs/tenant", new JsonObject { ["name"] = "x" })).Code);

        Assert.Equal(200, (await client.DeleteAsync(log)).Code);
        var implicitLog = await client.GetAsync(log);
        Assert.True(implicitLog.Code == 200, implicitLog.ToString());
        Assert.Equal((Retention, $"Events of {Relative(client, target)}"), (implicitLog.Json.Str("persistence"), implicitLog.Json.Str("name")));
        Assert.Null(implicitLog.Json["operations"]);
        var deleteImplicit = await client.DeleteAsync(log);
        Assert.Equal(405, deleteImplicit.Code);
        Assert.Contains("explicit", deleteImplicit.Json.Str("message"));
        Assert.Equal(1, (await client.GetAsync("eventLogs")).Json["count"]!.GetValue<int>());
        // Made explicit again once its metadata is gone.
        Assert.Equal(201, (await client.PostAsync("eventLogs", Create(Ref(template)))).Code);
    }

    [Fact]
    public async Task Bad_EventLogCreates_are_4xx_naming_the_problem()
    {
        using var client = await fixture.NewTenantAsync();
        var target = await ConfigAsync(client);
        foreach (var (body, named) in new (JsonObject, string)[]
                 {
                     (new JsonObject { ["name"] = "no template" }, "eventLogTemplate"),
                     (Create(Template(null, "P1D")), "targetResource"),
                     (Create(Template("machineConfigs/0123456789abcdef0123456789abcdef", "P1D")), "does not exist"),
                     (Create(Template("nothing/here", "P1D")), "must reference a resource"),
                     (Create(Ref("eventLogTemplates/0123456789abcdef0123456789abcdef")), "does not exist"),
                     (Create(Template("eventLogs/tenant", null)), "not the EventLog"),
                 })
        {
            var refused = await client.PostAsync("eventLogs", body);
            // An href that names nothing of the tenant's is a 404, like its id in the URL; the rest are 400s.
            Assert.True(refused.Code == (named == "does not exist" ? 404 : 400), $"{body.ToJsonString()}: {refused}");
            Assert.Contains(named, refused.Json.Str("message"));
        }
        Assert.Equal(1, (await client.GetAsync("eventLogs")).Json["count"]!.GetValue<int>());
        Assert.Equal(201, (await client.PostAsync("eventLogs", Create(Template(target, null)))).Code);
    }

    [Fact]
    public async Task Another_tenants_templates_and_targets_are_404_by_id_and_as_hrefs()
    {
        using var alice = await fixture.NewTenantAsync();
        using var bob = await fixture.NewTenantAsync();
        var target = await ConfigAsync(alice);
        var template = await CimiDocs.Created(alice, "eventLogTemplates", Template(target, "P1D"));
        var local = Relative(alice, template);

        Assert.Equal(404, (await bob.GetAsync(local)).Code);
        Assert.Equal(404, (await bob.PutAsync(local, Template(null, "P2D"))).Code);
        Assert.Equal(404, (await bob.DeleteAsync(local)).Code);
        Assert.Equal(0, (await bob.GetAsync("eventLogTemplates")).Json["count"]!.GetValue<int>());

        var byHref = await bob.PostAsync("eventLogs", Create(Ref(local)));
        Assert.True(byHref.Code == 404 && byHref.Json.Str("message").Contains("does not exist", StringComparison.Ordinal), byHref.ToString());
        var theirTarget = await bob.PostAsync("eventLogs", Create(Template(target, "P1D")));
        Assert.True(theirTarget.Code == 404 && theirTarget.Json.Str("message").Contains("does not exist", StringComparison.Ordinal), theirTarget.ToString());
        var templateOnTheirs = await bob.PostAsync("eventLogTemplates", Template(target, "P1D"));
        Assert.Equal(404, templateOnTheirs.Code);

        // Alice's log, made explicit, is as absent to bob as before.
        Assert.Equal(201, (await alice.PostAsync("eventLogs", Create(Ref(local)))).Code);
        var log = LogOf(alice, target);
        Assert.Equal(404, (await bob.GetAsync(log)).Code);
        Assert.Equal(404, (await bob.PutAsync(log, new JsonObject { ["name"] = "mine" })).Code);
        Assert.Equal(404, (await bob.DeleteAsync(log)).Code);
        Assert.Equal("audit log", (await alice.GetAsync(log)).Json.Str("name"));
    }

    [Fact]
    public async Task A_log_with_a_shorter_persistence_shows_only_its_recent_events_and_the_tenant_log_keeps_them()
    {
        using var client = await fixture.NewTenantAsync();
        var target = await ConfigAsync(client);
        var tenantEvents = await Eventually.Until(() => client.GetAsync("eventLogs/tenant/events"),
            r => r.Json["count"]?.GetValue<int>() == 1, "the config's create in the tenant's log");
        var createEvent = Relative(client, tenantEvents.Json["events"]![0].Str("id"));
        var log = LogOf(client, target);
        Assert.Equal(201, (await client.PostAsync("eventLogs", Create(Template(target, "PT1S")))).Code);

        // Once a second has passed, the create is older than the log's persistence: the log no longer shows it.
        var shown = await Eventually.Until(() => client.GetAsync(log + "/events"), r => r.Json["count"]?.GetValue<int>() == 0,
            "the create to leave the one-second log");
        Assert.Equal(200, shown.Code);
        Assert.Equal(0, (await client.GetAsync(log)).Json["summary"]!["low"]!.GetValue<long>());
        Assert.Equal("PT1S", (await client.GetAsync(log)).Json.Str("persistence"));
        // Nothing was deleted: the tenant's log and the Event itself are as the deployment's retention keeps them.
        var tenantLog = await client.GetAsync("eventLogs/tenant/events?$filter=content/change='create'");
        Assert.Contains(tenantLog.Json["events"]!.AsArray(), e => Relative(client, e.Str("id")) == createEvent);
        Assert.Equal(200, (await client.GetAsync(createEvent)).Code);
        // Without its persistence the log shows it again.
        Assert.Equal(200, (await client.DeleteAsync(log)).Code);
        Assert.Equal(1, (await client.GetAsync(log + "/events")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_Machine_made_from_a_template_naming_an_eventLogTemplate_gets_its_log_and_a_bad_one_makes_nothing()
    {
        using var client = await fixture.NewTenantAsync();
        var config = await ConfigAsync(client);
        var image = await CimiDocs.Created(client, "machineImages", CimiDocs.Image());
        var eventLogTemplate = await CimiDocs.Created(client, "eventLogTemplates", Template(null, "P1D", name: "machine audit"));
        var machineTemplate = CimiDocs.Template(config, image);
        machineTemplate["eventLogTemplate"] = Ref(eventLogTemplate);
        var templateId = await CimiDocs.Created(client, "machineTemplates", machineTemplate);
        var templateXml = await client.GetAsync(templateId, "application/xml");
        CimiSchema.AssertValid(templateXml.Body);
        Assert.Contains("eventLogTemplate", templateXml.Body);

        var machine = await client.PostAsync("machines", CimiDocs.MachineCreate(templateId));
        Assert.True(machine.Code == 202, machine.ToString());
        var log = await client.GetAsync(LogOf(client, machine.Header("Location")!));
        Assert.True(log.Code == 200, log.ToString());
        Assert.Equal(("machine audit", "who did what", "P1D"), (log.Json.Str("name"), log.Json.Str("description"), log.Json.Str("persistence")));
        Assert.Equal(machine.Header("Location"), client.Absolute(log.Json["targetResource"].Str("href")));
        Assert.Equal(["edit", "delete"], log.Json.Rels());
        await client.WaitForJobAsync(machine.JobUri());

        // By value in a MachineCreate's template, with a persistence the deployment cannot keep: a 400, and no Machine.
        var machines = (await client.GetAsync("machines")).Json["count"]!.GetValue<int>();
        var byValue = CimiDocs.Template(config, image);
        byValue["eventLogTemplate"] = Template(null, "P90D");
        var refused = await client.PostAsync("machines", new JsonObject { ["name"] = "m", ["machineTemplate"] = byValue });
        Assert.True(refused.Code == 400, refused.ToString());
        Assert.Contains(Retention, refused.Json.Str("message"));
        Assert.Equal(machines, (await client.GetAsync("machines")).Json["count"]!.GetValue<int>());

        // A dangling reference in a stored MachineTemplate is a 404 (as an id in the URL would be).
        var dangling = CimiDocs.Template(config, image);
        dangling["eventLogTemplate"] = Ref("eventLogTemplates/0123456789abcdef0123456789abcdef");
        var bad = await client.PostAsync("machineTemplates", dangling);
        Assert.True(bad.Code == 404 && bad.Json.Str("message").Contains("eventLogTemplate", StringComparison.Ordinal), bad.ToString());
    }

    [Fact]
    public async Task A_Volume_made_from_a_template_naming_an_eventLogTemplate_by_value_gets_its_log()
    {
        using var client = await fixture.NewTenantAsync();
        var config = await CimiDocs.Created(client, "volumeConfigs", Volumes.VolumeDocs.Configuration());
        var template = Volumes.VolumeDocs.Template(config);
        template["eventLogTemplate"] = Template(null, "PT12H", name: "volume audit");
        var volume = await client.PostAsync("volumes", Volumes.VolumeDocs.Create(template));
        Assert.True(volume.Code == 202, volume.ToString());
        var log = await client.GetAsync(LogOf(client, volume.Header("Location")!));
        Assert.True(log.Code == 200, log.ToString());
        Assert.Equal(("volume audit", "PT12H"), (log.Json.Str("name"), log.Json.Str("persistence")));
        await client.WaitForJobAsync(volume.JobUri());
    }

    [Fact]
    public async Task An_explicit_EventLog_in_JSON_and_XML_matches_its_golden_files()
    {
        using var client = await fixture.NewTenantAsync();
        var target = await ConfigAsync(client);
        var log = LogOf(client, target);
        Assert.Equal(201, (await client.PostAsync("eventLogs", Create(Template(target, "P7D")))).Code);
        await Eventually.Until(() => client.GetAsync(log), r => r.Json["summary"]?["low"]?.GetValue<long>() == 1, "the config's create in its summary");
        var json = await client.GetAsync(log, "application/json");
        var xml = await client.GetAsync(log, "application/xml");
        CimiSchema.AssertValid(xml.Body);
        GoldenFiles.VerifyJson("EventLog-explicit", json.Json);
        GoldenFiles.VerifyXml("EventLog-explicit", xml.Body);
    }
}
