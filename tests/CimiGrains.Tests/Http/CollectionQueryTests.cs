using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Binding;

namespace CimiGrains.Tests.Http;

/// <summary>Every collection the entry point links takes every query parameter, in JSON and in XML.</summary>
[Collection(GatewayCollection.Name)]
public sealed class CollectionQueryTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Every_collection_linked_from_the_entry_point_filters_orders_pages_selects_and_expands()
    {
        using var client = await fixture.NewTenantAsync();
        await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
        await CimiDocs.Created(client, "credentialTemplates", new JsonObject { ["name"] = "ct", ["userName"] = "u", ["password"] = "s3cret-pass" });
        var machine = await CimiDocs.MachineWithoutHostAsync(client);
        // The Meter family: a configuration, a template and a Meter on the Machine.
        var meterConfig = await CimiDocs.Created(client, "meterConfigs", Meters.MeterDocs.Configuration());
        var meterTemplate = await CimiDocs.Created(client, "meterTemplates", Meters.MeterDocs.Template(Meters.MeterDocs.Ref(meterConfig), machine));
        await CimiDocs.Created(client, "meters", Meters.MeterDocs.Create(Meters.MeterDocs.Ref(meterTemplate)));
        await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration(cpu: 2));
        // The Volume family: a public image, a configuration, a template and a Volume whose create fails for lack of a pool.
        await Volumes.VolumeDocs.RegisterPublicVolumeImageAsync(fixture.Postgres, "volume:collection-query/blank");
        await CimiDocs.Created(client, "volumeImages", new JsonObject { ["name"] = "vi", ["imageLocation"] = "volume:collection-query/blank" });
        var volumeConfig = await CimiDocs.Created(client, "volumeConfigs", Volumes.VolumeDocs.Configuration());
        var volumeTemplate = await CimiDocs.Created(client, "volumeTemplates", Volumes.VolumeDocs.Template(volumeConfig));
        await client.WaitForJobAsync((await client.PostAsync("volumes", Volumes.VolumeDocs.Create(new JsonObject { ["href"] = volumeTemplate }))).JobUri());

        // The Network family: one of each of its ten types.
        await Networks.NetworkFamily.OneOfEachAsync(client);
        // A SystemTemplate and a System made from it (a Credential: made at once, no host needed).
        var systemTemplate = await CimiDocs.Created(client, "systemTemplates", Systems.SystemDocs.Template("st", Systems.SystemDocs.CredentialComponent()));
        await client.WaitForJobAsync((await client.PostAsync("systems", Systems.SystemDocs.Create(Systems.SystemDocs.Ref(systemTemplate)))).JobUri());

        // An EventLogTemplate (EventLogs themselves are the tenant's log, always there).
        await CimiDocs.Created(client, "eventLogTemplates", Events.EventLogDocs.Template(null, "P1D"));

        var entryPoint = (await client.GetAsync("cloudEntryPoint")).Json;
        var collections = entryPoint.Where(p => p.Value is JsonObject o && o.ContainsKey("href")).Select(p => p.Value!.Str("href")).ToList();
        Assert.Equal(30, collections.Count);
        foreach (var collection in collections)
        {
            var all = (await client.GetAsync(collection)).Json;
            var count = all["count"]!.GetValue<int>();
            Assert.True(count >= 1, $"{collection} is empty; the test needs an item in each.");
            var array = all.Single(p => p.Value is JsonArray && p.Key != "operations").Key;
            var names = all[array]!.AsArray().Select(i => i!.Str("name")).Order(StringComparer.Ordinal).ToList();

            var query = $"?$filter={Uri.EscapeDataString("name!='no such name' or name='x'")}&$orderby=name:desc&$first=1&$last=1&$select=name&$expand=*";
            var page = await client.GetAsync(collection + query);
            Assert.True(page.Code == 200, $"{collection}{query}: {page}");
            Assert.Equal(count, page.Json["count"]!.GetValue<int>());
            var item = Assert.Single(page.Json[array]!.AsArray())!.AsObject();
            Assert.Equal(["resourceURI", "name"], item.Select(p => p.Key));
            Assert.Equal(names[^1], item.Str("name"));

            var none = (await client.GetAsync(collection + "?$filter=" + Uri.EscapeDataString("name='no such name'"))).Json;
            Assert.Equal(0, none["count"]!.GetValue<int>());
            Assert.Null(none[array]);

            var xml = await client.GetAsync(collection + query, "application/xml");
            Assert.True(xml.Code == 200, $"{collection}{query} as XML: {xml}");
            CimiSchema.AssertValid(xml.Body);
            var root = XDocument.Parse(xml.Body).Root!;
            Assert.Equal(count.ToString(System.Globalization.CultureInfo.InvariantCulture), root.Element(XName.Get("count", CimiSchema.Namespace))!.Value);

            var bad = await client.GetAsync(collection + "?$filter=nothere=1", "application/xml");
            Assert.True(bad.Code == 400, $"{collection}: {bad}");
            Assert.Equal("Error", XDocument.Parse(bad.Body).Root!.Name.LocalName);
        }
    }
}
