using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Binding;

/// <summary>
/// The golden files (tests/CimiGrains.Tests/Golden) are captured server responses: a tenant with one
/// resource of every type is crawled from its CloudEntryPoint, and every document reached (the entry
/// point, each collection, each resource, the Job, the ResourceMetadata of each type), the entry point
/// with collections inlined, and an error body are compared, in JSON and in XML, with their reviewed
/// files. Volatile values (generated ids, timestamps, the port, the tenant, request ids) are replaced
/// by placeholders first. After an intended change of a shape, rewrite the files with
/// <c>CIMI_UPDATE_GOLDEN=1 ./test.sh --filter FullyQualifiedName~GoldenCrawl</c> and review the diff like code.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GoldenCrawlTests(GatewayFixture fixture)
{
    private const string Json = "application/json";
    private const string Xml = "application/xml";

    /// <summary>The shapes the crawl must reach; a missing one means a link is gone from the entry point.</summary>
    private static readonly string[] ExpectedShapes =
    [
        "CloudEntryPoint",
        "MachineCollection", "Machine", "DiskCollection", "MachineVolumeCollection", "MachineNetworkInterfaceCollection", "MachineTemplateCollection", "MachineTemplate",
        "MachineConfigurationCollection", "MachineConfiguration", "MachineImageCollection", "MachineImage",
        "CredentialCollection", "Credential", "CredentialTemplateCollection", "CredentialTemplate",
        "VolumeCollection", "Volume", "VolumeTemplateCollection", "VolumeTemplate",
        "VolumeConfigurationCollection", "VolumeConfiguration", "VolumeImageCollection", "VolumeImage", "VolumeVolumeImageCollection",
        "NetworkCollection", "Network", "NetworkTemplateCollection", "NetworkTemplate", "NetworkConfigurationCollection", "NetworkConfiguration",
        "NetworkPortCollection", "NetworkPort", "NetworkPortTemplateCollection", "NetworkPortTemplate",
        "NetworkPortConfigurationCollection", "NetworkPortConfiguration", "AddressCollection", "Address", "AddressTemplateCollection", "AddressTemplate",
        "ForwardingGroupCollection", "ForwardingGroup", "ForwardingGroupTemplateCollection", "ForwardingGroupTemplate",
        "JobCollection", "Job",
        "MeterCollection", "Meter", "MeterTemplateCollection", "MeterTemplate", "MeterConfigurationCollection", "MeterConfiguration", "SampleCollection",
        "ResourceMetadata-Meter", "ResourceMetadata-MeterTemplate", "ResourceMetadata-MeterConfiguration",
        "SystemCollection", "System", "SystemTemplateCollection", "SystemTemplate", "SystemSystemCollection", "SystemMachineCollection",
        "SystemCredentialCollection", "SystemCredential", "SystemVolumeCollection", "SystemNetworkCollection", "SystemNetwork",
        "SystemNetworkPortCollection", "SystemAddressCollection", "SystemForwardingGroupCollection",
        "ResourceMetadata-System", "ResourceMetadata-SystemTemplate",
        "ResourceMetadataCollection", "ResourceMetadata-CloudEntryPoint", "ResourceMetadata-Machine",
        "ResourceMetadata-MachineTemplate", "ResourceMetadata-MachineConfiguration", "ResourceMetadata-MachineImage",
        "ResourceMetadata-Credential", "ResourceMetadata-CredentialTemplate", "ResourceMetadata-Job",
        "ResourceMetadata-Volume", "ResourceMetadata-VolumeTemplate", "ResourceMetadata-VolumeConfiguration", "ResourceMetadata-VolumeImage",
        "ResourceMetadata-Network", "ResourceMetadata-NetworkTemplate", "ResourceMetadata-NetworkConfiguration", "ResourceMetadata-NetworkPort",
        "ResourceMetadata-NetworkPortTemplate", "ResourceMetadata-NetworkPortConfiguration", "ResourceMetadata-Address", "ResourceMetadata-AddressTemplate",
        "ResourceMetadata-ForwardingGroup", "ResourceMetadata-ForwardingGroupTemplate",
        "EventLogCollection", "EventLog", "EventCollection", "Event", "ResourceMetadata-EventLog", "ResourceMetadata-Event",
        "EventLogTemplateCollection", "EventLogTemplate", "ResourceMetadata-EventLogTemplate",
    ];

    /// <summary>Shapes whose content is what happened during the setup (events of concurrent work, counts by
    /// severity): checked against the schema here, their golden files come from EventLogApiTests' fixed scenario.</summary>
    private static readonly HashSet<string> EventShapes = ["EventLogCollection", "EventLog", "EventCollection", "Event"];

    [Fact]
    public async Task Every_document_reachable_from_the_entry_point_matches_its_golden_file_in_JSON_and_XML()
    {
        using var client = await fixture.NewTenantAsync();
        var tenant = client.User[..^"-user".Length];
        await CimiDocs.Created(client, "credentialTemplates",
            new JsonObject { ["name"] = "ops", ["description"] = "login for operators", ["userName"] = "ops", ["password"] = "s3cret-pass" });
        await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
        // A Machine (with its configuration, image and template) whose create Job fails for lack of a host.
        var machine = await CimiDocs.MachineWithoutHostAsync(client);
        // A Meter on it (with its configuration and template); the Machine has no host, so its samples collection is empty.
        var meterConfig = await CimiDocs.Created(client, "meterConfigs", Http.Meters.MeterDocs.Configuration(alarmThreshold: "80", clear: "50"));
        var meterTemplate = await CimiDocs.Created(client, "meterTemplates", Http.Meters.MeterDocs.Template(Http.Meters.MeterDocs.Ref(meterConfig), machine));
        await CimiDocs.Created(client, "meters", Http.Meters.MeterDocs.Create(Http.Meters.MeterDocs.Ref(meterTemplate)));
        // An EventLogTemplate for it (the EventLog made from one has the shapes of the implicit logs: EventLogApiTests).
        await CimiDocs.Created(client, "eventLogTemplates", Http.Events.EventLogDocs.Template(machine, "P7D"));
        // A Volume (with its configuration, template and a public image) whose create Job fails for lack of a volume pool.
        await Http.Volumes.VolumeDocs.RegisterPublicVolumeImageAsync(fixture.Postgres, "volume:golden/blank");
        await CimiDocs.Created(client, "volumeImages", new JsonObject { ["name"] = "blank", ["imageLocation"] = "volume:golden/blank", ["bootable"] = false });
        var volumeConfig = await CimiDocs.Created(client, "volumeConfigs", Http.Volumes.VolumeDocs.Configuration());
        var volumeTemplate = await CimiDocs.Created(client, "volumeTemplates", Http.Volumes.VolumeDocs.Template(volumeConfig));
        var volume = await client.PostAsync("volumes", Http.Volumes.VolumeDocs.Create(new JsonObject { ["href"] = volumeTemplate }));
        Assert.True(volume.Code == 202, $"POST volumes: {volume}");
        await client.WaitForJobAsync(volume.JobUri());
        // One of each of the Network family: a Network with a port and a reserved Address, in a ForwardingGroup.
        await Http.Networks.NetworkFamily.OneOfEachAsync(client);
        // A System made from a stored template of a Network and a Credential (both made at once, no host needed).
        var systemTemplate = await CimiDocs.Created(client, "systemTemplates", Http.Systems.SystemDocs.Template("pair",
            Http.Systems.SystemDocs.NetworkComponent("net"), Http.Systems.SystemDocs.CredentialComponent()));
        var system = await client.PostAsync("systems", Http.Systems.SystemDocs.Create(Http.Systems.SystemDocs.Ref(systemTemplate)));
        Assert.True(system.Code == 202, $"POST systems: {system}");
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(system.JobUri())).Str("state"));

        var shapes = new Dictionary<string, string>();
        var queue = new Queue<string>([client.Cimi + "cloudEntryPoint"]);
        var seen = new HashSet<string>();
        while (queue.Count > 0)
        {
            var url = queue.Dequeue();
            if (!seen.Add(url)) continue;
            var json = await client.GetAsync(url, Json);
            Assert.True(json.Code == 200 && json.ContentType == Json, $"GET {url} as JSON: {json}");
            var xml = await client.GetAsync(url, Xml);
            Assert.True(xml.Code == 200 && xml.ContentType == Xml, $"GET {url} as XML: {xml}");
            CimiSchema.AssertValid(xml.Body);

            var document = json.Json;
            var shape = Shape(document);
            Assert.Equal(XmlShape(xml.Body), shape);
            // One reviewed file per shape: the first document of a shape in crawl order (which is fixed) stands for it.
            if (shapes.TryAdd(shape, url) && !EventShapes.Contains(shape))
            {
                GoldenFiles.VerifyJson(shape, Anonymized(document, tenant));
                GoldenFiles.VerifyXml(shape, XDocument.Parse(xml.Body).ToString().Replace(tenant, "{tenant}", StringComparison.Ordinal));
            }
            foreach (var link in Links(document).Where(l => l.StartsWith(client.Cimi, StringComparison.Ordinal))) queue.Enqueue(link);
        }
        Assert.Equal(ExpectedShapes.Order(StringComparer.Ordinal), shapes.Keys.Order(StringComparer.Ordinal));

        // The entry point with collections inlined ($expand): DSP8009's XxxCollRef shape.
        var expanded = await client.GetAsync("cloudEntryPoint?$expand=machines,credentials", Json);
        Assert.True(expanded.Code == 200, expanded.ToString());
        GoldenFiles.VerifyJson("CloudEntryPoint-expanded", Anonymized(expanded.Json, tenant));
        var expandedXml = await client.GetAsync("cloudEntryPoint?$expand=machines,credentials", Xml);
        CimiSchema.AssertValid(expandedXml.Body);
        GoldenFiles.VerifyXml("CloudEntryPoint-expanded", XDocument.Parse(expandedXml.Body).ToString().Replace(tenant, "{tenant}", StringComparison.Ordinal));

        var error = await client.GetAsync("machines/0123456789abcdef0123456789abcdef", Json);
        Assert.Equal(404, error.Code);
        GoldenFiles.VerifyJson("Error", error.Json);
        var xmlError = await client.GetAsync("machines/0123456789abcdef0123456789abcdef", Xml);
        Assert.Equal(404, xmlError.Code);
        GoldenFiles.VerifyXml("Error", xmlError.Body);
    }

    /// <summary>The golden name of a JSON document: its type, and for ResourceMetadata the type it describes.</summary>
    private static string Shape(JsonObject document)
    {
        var uri = document["resourceURI"]!.GetValue<string>();
        var type = uri[(uri.LastIndexOf('/') + 1)..];
        return type == "ResourceMetadata" ? "ResourceMetadata-" + document["name"]!.GetValue<string>() : type;
    }

    /// <summary>The same name from the XML rendering: the root element, or a Collection's resourceURI.</summary>
    private static string XmlShape(string xml)
    {
        var root = XDocument.Parse(xml).Root!;
        var type = root.Name.LocalName == "Collection" ? root.Attribute("resourceURI")!.Value.Split('/')[^1] : root.Name.LocalName;
        return type == "ResourceMetadata" ? "ResourceMetadata-" + root.Element(XName.Get("name", CimiSchema.Namespace))!.Value : type;
    }

    /// <summary>Every href, and every id, anywhere in the document.</summary>
    private static IEnumerable<string> Links(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key is "href" or "id" && p.Value is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? [v.GetValue<string>()]
            : Links(p.Value)),
        JsonArray a => a.SelectMany(Links),
        _ => [],
    };

    private static JsonNode Anonymized(JsonObject document, string tenant) =>
        JsonNode.Parse(document.ToJsonString().Replace(tenant, "{tenant}", StringComparison.Ordinal))!;
}
