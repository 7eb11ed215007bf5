using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Http.Networks;
using CimiGrains.Tests.Http.Volumes;

namespace CimiGrains.Tests.Http.Systems;

/// <summary>SystemTemplates exported as OVF envelopes and envelopes imported as SystemTemplates (docs/SYSTEMS.md).</summary>
[Collection(GatewayCollection.Name)]
public sealed class SystemTemplateOvfTests(GatewayFixture fixture)
{
    private const string Ovf = "application/ovf+xml";
    private static readonly XNamespace OvfNs = "http://schemas.dmtf.org/ovf/envelope/1";
    private static readonly XNamespace Rasd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
    private static readonly XNamespace Cg = "urn:cimigrains:ovf:1";

    [Fact]
    public async Task A_round_trip_keeps_every_component()
    {
        using var client = await fixture.NewTenantAsync();
        var original = await CimiDocs.Created(client, "systemTemplates", ByValueTemplate());

        var imported = await ImportAsync(client, await ExportUrlAsync(client, original));

        var before = (await client.GetAsync(original)).Json;
        var after = (await client.GetAsync(imported)).Json;
        Assert.NotEqual(before.Str("id"), after.Str("id"));
        foreach (var attribute in new[] { "name", "description", "properties", "placementPolicy" })
            Assert.True(JsonNode.DeepEquals(before[attribute], after[attribute]), $"{attribute}: {before[attribute]} ≠ {after[attribute]}");
        var wanted = before["componentDescriptors"]!.AsArray();
        var got = after["componentDescriptors"]!.AsArray();
        Assert.Equal(wanted.Count, got.Count);
        for (var i = 0; i < wanted.Count; i++)
            Assert.True(JsonNode.DeepEquals(wanted[i], got[i]), $"component {i}:\n{wanted[i]!.ToJsonString()}\n≠\n{got[i]!.ToJsonString()}");

        // And again: the import's own envelope is the original's.
        Assert.Equal(await EnvelopeTextAsync(client, original), await EnvelopeTextAsync(client, imported));
    }

    [Fact]
    public async Task The_collection_offers_import_beside_add_in_JSON_and_in_XML()
    {
        using var client = await fixture.NewTenantAsync();
        const string import = "http://schemas.dmtf.org/cimi/1/action/import";

        // Plain JSON is streamed from the stored rows; $select goes through the document tree: both list it.
        foreach (var url in new[] { "systemTemplates", "systemTemplates?$select=name" })
        {
            var operations = (await client.GetAsync(url)).Json["operations"]!.AsArray();
            Assert.Equal(["add", import], operations.Select(o => o.Str("rel")));
            Assert.All(operations, o => Assert.EndsWith("/cimi/systemTemplates", o.Str("href")));
        }
        var xml = XDocument.Parse((await client.GetAsync("systemTemplates", "application/xml")).Body).Root!;
        Assert.Contains(xml.Elements(xml.Name.Namespace + "operation"), o => (string?)o.Attribute("rel") == import);
        // Other collections offer only add.
        Assert.Equal(["add"], (await client.GetAsync("machineTemplates")).Json["operations"]!.AsArray().Select(o => o.Str("rel")));
    }

    [Fact]
    public async Task The_envelope_is_structurally_valid_OVF()
    {
        using var client = await fixture.NewTenantAsync();
        var template = await CimiDocs.Created(client, "systemTemplates", ByValueTemplate());
        var export = await client.GetAsync(await ExportUrlAsync(client, template), Ovf);
        Assert.Equal(200, export.Code);
        Assert.Equal(Ovf, export.ContentType);
        var envelope = XDocument.Parse(export.Body).Root!;

        Assert.Equal(OvfNs + "Envelope", envelope.Name);
        var files = envelope.Element(OvfNs + "References")!.Elements(OvfNs + "File").Select(f => (string)f.Attribute(OvfNs + "id")!).ToList();
        var disks = envelope.Element(OvfNs + "DiskSection")!.Elements(OvfNs + "Disk").Select(d => (string)d.Attribute(OvfNs + "diskId")!).ToList();
        var networks = envelope.Element(OvfNs + "NetworkSection")!.Elements(OvfNs + "Network").Select(n => (string)n.Attribute(OvfNs + "name")!).ToList();
        Assert.Equal(files.Count, files.Distinct().Count());
        Assert.Equal(disks.Count, disks.Distinct().Count());
        Assert.Equal(["root/net", "root/backend/net"], networks);
        Assert.Contains("root/data", disks);
        foreach (var hostResource in envelope.Descendants(Rasd + "HostResource"))
            Assert.Contains(hostResource.Value["ovf:/disk/".Length..], disks);
        foreach (var connection in envelope.Descendants(Rasd + "Connection"))
            Assert.Contains(connection.Value, networks);
        foreach (var image in envelope.Descendants().Attributes(Cg + "imageFile"))
            Assert.Contains(image.Value, files);
        foreach (var section in envelope.Descendants().Where(e => e.Name.Namespace == Cg))
        {
            Assert.Equal("false", (string?)section.Attribute(OvfNs + "required"));
            Assert.Equal(OvfNs + "Info", section.Elements().First().Name);
        }

        // The two Machine components (one nested) are VirtualSystems, the nested System a nested collection.
        var systems = envelope.Descendants(OvfNs + "VirtualSystem").ToList();
        Assert.Equal(["root/web", "root/db", "root/backend/web"], systems.Select(s => (string)s.Attribute(OvfNs + "id")!));
        Assert.Equal(["root", "root/backend"],
            envelope.Descendants(OvfNs + "VirtualSystemCollection").Select(s => (string)s.Attribute(OvfNs + "id")!));
        var db = systems[1].Descendants(OvfNs + "Item").ToList();
        Assert.Equal("2", Item(db, 3).Element(Rasd + "VirtualQuantity")!.Value);
        Assert.Equal("1048576", Item(db, 4).Element(Rasd + "VirtualQuantity")!.Value);
        Assert.Equal("byte * 2^10", Item(db, 4).Element(Rasd + "AllocationUnits")!.Value);
        Assert.Equal(["root/net"], db.Where(i => i.Element(Rasd + "ResourceType")!.Value == "10").Select(i => i.Element(Rasd + "Connection")!.Value));
        // The config's disk and the new Volume each Machine gets.
        Assert.Equal(2, db.Count(i => i.Element(Rasd + "ResourceType")!.Value == "17"));
        var dataDisk = envelope.Descendants(OvfNs + "Disk").Single(d => (string?)d.Attribute(OvfNs + "diskId") == "root/data");
        Assert.Equal("2097152", (string?)dataDisk.Attribute(OvfNs + "capacity"));
    }

    [Fact]
    public async Task Components_by_reference_are_exported_by_value()
    {
        using var client = await fixture.NewTenantAsync();
        var config = await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration(cpu: 3, memoryKiB: 524288));
        var image = await CimiDocs.Created(client, "machineImages", CimiDocs.Image());
        var machineTemplate = await CimiDocs.Created(client, "machineTemplates", CimiDocs.Template(config, image));
        var volumeConfig = await CimiDocs.Created(client, "volumeConfigs", VolumeDocs.Configuration(4096, "raw"));
        var volumeTemplate = await CimiDocs.Created(client, "volumeTemplates", VolumeDocs.Template(volumeConfig));
        var networkConfig = await CimiDocs.Created(client, "networkConfigs", NetworkDocs.Configuration("10.44.0.0/24"));
        var networkTemplate = await CimiDocs.Created(client, "networkTemplates", NetworkDocs.Template(networkConfig));
        var credentialTemplate = await CimiDocs.Created(client, "credentialTemplates", new JsonObject { ["name"] = "ops", ["userName"] = "ops" });
        var inner = await CimiDocs.Created(client, "systemTemplates", new JsonObject
        {
            ["name"] = "inner",
            ["componentDescriptors"] = new JsonArray(Component("n", "Network", "networkTemplate", Ref(networkTemplate))),
        });
        var template = await CimiDocs.Created(client, "systemTemplates", new JsonObject
        {
            ["name"] = "by-reference",
            ["componentDescriptors"] = new JsonArray(
                Component("net", "Network", "networkTemplate", Ref(networkTemplate)),
                Component("vol", "Volume", "volumeTemplate", Ref(volumeTemplate)),
                Component("ops", "Credential", "credentialTemplate", Ref(credentialTemplate)),
                Component("web", "Machine", "machineTemplate", new JsonObject
                {
                    // By reference with an override beside the href: the override wins.
                    ["href"] = machineTemplate, ["initialState"] = "STOPPED",
                    ["networkInterfaces"] = new JsonArray(new JsonObject { ["network"] = Ref("#net") }),
                }, quantity: 2),
                Component("inner", "System", "systemTemplate", Ref(inner))),
        });

        var imported = (await client.GetAsync(await ImportAsync(client, await ExportUrlAsync(client, template)))).Json;

        var components = imported["componentDescriptors"]!.AsArray().Select(c => c!.AsObject()).ToList();
        Assert.Equal(["net", "vol", "ops", "web", "inner"], components.Select(c => c.Str("name")));
        // No href is left in the components but their own '#name' ones.
        Assert.All(imported["componentDescriptors"]!.ToJsonString().Split("\"href\":").Skip(1), h => Assert.StartsWith("\"#", h));
        var net = components[0]["networkTemplate"]!;
        Assert.Equal("10.44.0.0/24", net["networkConfig"].Str("subnet"));
        Assert.Equal("PRIVATE", net["networkConfig"].Str("networkType"));
        var vol = components[1]["volumeTemplate"]!["volumeConfig"]!;
        Assert.Equal(4096, vol["capacity"]!.GetValue<long>());
        Assert.Equal("raw", vol.Str("format"));
        Assert.Equal("ops", components[2]["credentialTemplate"].Str("userName"));
        var web = components[3]["machineTemplate"]!;
        Assert.Equal(3, web["machineConfig"]!["cpu"]!.GetValue<int>());
        Assert.Equal(524288, web["machineConfig"]!["memory"]!.GetValue<long>());
        Assert.Equal("docker:cimigrains/demo:latest", web["machineImage"].Str("imageLocation"));
        Assert.Equal("STOPPED", web.Str("initialState"));
        Assert.Equal("#net", web["networkInterfaces"]![0]!["network"].Str("href"));
        Assert.Equal(2, components[3]["quantity"]!.GetValue<int>());
        var nested = components[4]["systemTemplate"]!;
        Assert.Equal("inner", nested.Str("name"));
        Assert.Equal("10.44.0.0/24", nested["componentDescriptors"]![0]!["networkTemplate"]!["networkConfig"].Str("subnet"));
    }

    [Fact]
    public async Task The_envelope_shows_the_template_as_it_is_now()
    {
        using var client = await fixture.NewTenantAsync();
        var config = await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration(cpu: 1));
        var image = await CimiDocs.Created(client, "machineImages", CimiDocs.Image());
        var template = await CimiDocs.Created(client, "systemTemplates", new JsonObject
        {
            ["name"] = "live",
            ["componentDescriptors"] = new JsonArray(Component("m", "Machine", "machineTemplate", new JsonObject
            {
                ["machineConfig"] = Ref(config), ["machineImage"] = Ref(image),
            })),
        });
        var url = await ExportUrlAsync(client, template);
        Assert.Contains("<rasd:VirtualQuantity>1</rasd:VirtualQuantity>", (await client.GetAsync(url, Ovf)).Body);
        Assert.Equal(200, (await client.PutAsync(config, CimiDocs.Configuration(cpu: 4))).Code);
        Assert.Contains("<rasd:VirtualQuantity>4</rasd:VirtualQuantity>", (await client.GetAsync(url, Ovf)).Body);
    }

    [Fact]
    public async Task Passwords_are_never_exported_and_an_import_must_be_given_them()
    {
        using var client = await fixture.NewTenantAsync();
        var secret = "never-leaves-the-cloud-" + Guid.NewGuid().ToString("N")[..8];
        var template = await CimiDocs.Created(client, "systemTemplates", new JsonObject
        {
            ["name"] = "secret",
            ["componentDescriptors"] = new JsonArray(Component("admin", "Credential", "credentialTemplate",
                new JsonObject { ["userName"] = "admin", ["password"] = secret })),
        });
        var url = await ExportUrlAsync(client, template);
        var envelope = (await client.GetAsync(url, Ovf)).Body;
        Assert.DoesNotContain(secret, envelope);
        var property = XDocument.Parse(envelope).Descendants(OvfNs + "Property").Single();
        Assert.Equal("true", (string?)property.Attribute(OvfNs + "password"));
        Assert.Null(property.Attribute(OvfNs + "value"));

        var withoutIt = await client.PostAsync("systemTemplates", ImportAction(client.Absolute(url)));
        Assert.Equal(400, withoutIt.Code);
        Assert.Contains("'credentialTemplate.password' of the component", withoutIt.Json.Str("message"));

        property.SetAttributeValue(OvfNs + "value", "a-new-password");
        var given = await client.SendAsync(HttpMethod.Post, "systemTemplates", property.Document!.ToString(), Ovf);
        Assert.Equal(201, given.Code);
        // The imported template has a password again (its own export asks for it), and it is not shown there either.
        var again = (await client.GetAsync(await ExportUrlAsync(client, given.Json.Str("id")), Ovf)).Body;
        Assert.Single(XDocument.Parse(again).Descendants(OvfNs + "Property"));
        Assert.DoesNotContain("a-new-password", again);
    }

    [Fact]
    public async Task An_envelope_posted_as_the_body_and_a_foreign_one_import()
    {
        using var client = await fixture.NewTenantAsync();
        var foreign = """
            <?xml version="1.0" encoding="UTF-8"?>
            <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                      xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
              <References/>
              <NetworkSection><Info>Networks</Info><Network ovf:name="VM Network"><Description>lan</Description></Network></NetworkSection>
              <VirtualSystem ovf:id="appliance">
                <Info>An appliance</Info>
                <Name>appliance</Name>
                <VirtualHardwareSection>
                  <Info>Hardware</Info>
                  <Item><rasd:ElementName>cpu</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
                  <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>mem</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
                  <Item><rasd:Connection>VM Network</rasd:Connection><rasd:ElementName>eth0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType></Item>
                </VirtualHardwareSection>
              </VirtualSystem>
            </Envelope>
            """;
        var response = await client.SendAsync(HttpMethod.Post, "systemTemplates", foreign, Ovf);
        Assert.True(response.Code == 201, response.ToString());
        var components = response.Json["componentDescriptors"]!.AsArray();
        Assert.Equal(["appliance", "VM-Network"], components.Select(c => c.Str("name")));
        var machine = components[0]!["machineTemplate"]!;
        Assert.Equal(2, machine["machineConfig"]!["cpu"]!.GetValue<int>());
        Assert.Equal(524288, machine["machineConfig"]!["memory"]!.GetValue<long>());
        Assert.Equal("#VM-Network", machine["networkInterfaces"]![0]!["network"].Str("href"));
        Assert.Equal("http://schemas.dmtf.org/cimi/1/Network", components[1].Str("type"));
    }

    public static TheoryData<string, string> BadEnvelopes => new()
    {
        { "not xml at all", "not well-formed XML" },
        { "<Action xmlns=\"http://schemas.dmtf.org/cimi/1\"/>", "an OVF envelope is <Envelope>" },
        { "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"><References/></Envelope>", "holds 0 VirtualSystem" },
        {
            """
            <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                      xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
              <References/>
              <VirtualSystem ovf:id="vm"><Info>x</Info><VirtualHardwareSection><Info>x</Info>
                <Item><rasd:Connection>nowhere</rasd:Connection><rasd:ResourceType>10</rasd:ResourceType></Item>
              </VirtualHardwareSection></VirtualSystem>
            </Envelope>
            """,
            "connects to 'nowhere', and the NetworkSection has no such Network"
        },
        {
            """
            <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                      xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
              <References/>
              <DiskSection><Info>x</Info><Disk ovf:diskId="d" ovf:capacity="1" ovf:fileRef="missing"/></DiskSection>
              <VirtualSystem ovf:id="vm"><Info>x</Info></VirtualSystem>
            </Envelope>
            """,
            "ovf:fileRef 'missing', and References has no File"
        },
        {
            """
            <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
                      xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
              <References/>
              <VirtualSystem ovf:id="vm"><Info>x</Info><VirtualHardwareSection><Info>x</Info>
                <Item><rasd:HostResource>ovf:/disk/ghost</rasd:HostResource><rasd:ResourceType>17</rasd:ResourceType></Item>
              </VirtualHardwareSection></VirtualSystem>
            </Envelope>
            """,
            "uses 'ovf:/disk/ghost', and the DiskSection has no such Disk"
        },
        {
            "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\">" + string.Concat(Enumerable.Repeat("<a>", 40)) +
            string.Concat(Enumerable.Repeat("</a>", 40)) + "</Envelope>",
            "deeper than 32 levels"
        },
        { "<!DOCTYPE Envelope [<!ENTITY x \"y\">]><Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\">&x;</Envelope>", "DTD" },
    };

    [Theory]
    [MemberData(nameof(BadEnvelopes))]
    public async Task A_bad_envelope_gets_400_naming_the_problem(string envelope, string problem)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.SendAsync(HttpMethod.Post, "systemTemplates", envelope, Ovf);
        Assert.Equal(400, response.Code);
        Assert.Contains(problem, response.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync("systemTemplates")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_bad_envelope_component_is_refused_by_the_template_check()
    {
        using var client = await fixture.NewTenantAsync();
        var envelope = await ExportedAsync(client);
        // A Machine whose NIC names a component that is not there.
        var href = envelope.Descendants().First(e => e.Name.LocalName == "network" && (string?)e.Attribute("href") == "#net");
        href.SetAttributeValue("href", "#elsewhere");
        var response = await client.SendAsync(HttpMethod.Post, "systemTemplates", envelope.ToString(), Ovf);
        Assert.Equal(400, response.Code);
        Assert.Contains("no component named 'elsewhere'", response.Json.Str("message"));
    }

    [Fact]
    public async Task An_envelope_edited_in_its_standard_sections_imports_as_edited()
    {
        using var client = await fixture.NewTenantAsync();
        var envelope = await ExportedAsync(client);
        // What an OVF tool would change: web's CPUs and memory (now in MiB), its image, the Volume's capacity.
        var web = envelope.Descendants(OvfNs + "VirtualSystem").Single(s => (string?)s.Attribute(OvfNs + "id") == "root/web");
        var items = web.Descendants(OvfNs + "Item").ToList();
        Item(items, 3).Element(Rasd + "VirtualQuantity")!.Value = "4";
        Item(items, 4).Element(Rasd + "AllocationUnits")!.Value = "byte * 2^20";
        Item(items, 4).Element(Rasd + "VirtualQuantity")!.Value = "512";
        envelope.Descendants(OvfNs + "File").Single(f => (string?)f.Attribute(OvfNs + "id") == "root/web/image")
            .SetAttributeValue(OvfNs + "href", "docker:cimigrains/demo:2");
        envelope.Descendants(OvfNs + "Disk").Single(d => (string?)d.Attribute(OvfNs + "diskId") == "root/data")
            .SetAttributeValue(OvfNs + "capacity", "3");
        envelope.Descendants(OvfNs + "Disk").Single(d => (string?)d.Attribute(OvfNs + "diskId") == "root/data")
            .SetAttributeValue(OvfNs + "capacityAllocationUnits", "byte * 2^30");

        var response = await client.SendAsync(HttpMethod.Post, "systemTemplates", envelope.ToString(), Ovf);
        Assert.True(response.Code == 201, response.ToString());
        var components = response.Json["componentDescriptors"]!.AsArray();
        var machine = components.Single(c => c.Str("name") == "web")!["machineTemplate"]!;
        Assert.Equal(4, machine["machineConfig"]!["cpu"]!.GetValue<int>());
        Assert.Equal(524288, machine["machineConfig"]!["memory"]!.GetValue<long>());
        Assert.Equal("docker:cimigrains/demo:2", machine["machineImage"].Str("imageLocation"));
        var volume = components.Single(c => c.Str("name") == "data")!["volumeTemplate"]!["volumeConfig"]!;
        Assert.Equal(3L * 1024 * 1024, volume["capacity"]!.GetValue<long>());
        Assert.Equal("ext4", volume.Str("format"));
    }

    [Fact]
    public async Task An_envelope_larger_than_any_request_is_refused()
    {
        using var client = await fixture.NewTenantAsync();
        var huge = "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"><Info>" + new string('x', 2 * 1024 * 1024) + "</Info></Envelope>";
        var response = await client.SendAsync(HttpMethod.Post, "systemTemplates", huge, Ovf);
        Assert.Equal(413, response.Code);
        Assert.Contains("larger", response.Json.Str("message"));
    }

    public static TheoryData<string, string> BadExports => new()
    {
        { """{"action":"http://schemas.dmtf.org/cimi/1/action/export","format":"application/zip"}""", "application/ovf only" },
        { """{"action":"http://schemas.dmtf.org/cimi/1/action/export","destination":"http://example.com/x.ovf"}""", "only the Location form" },
        { """{"action":"http://schemas.dmtf.org/cimi/1/action/start"}""", "use http://schemas.dmtf.org/cimi/1/action/export" },
        { """{"action":"http://schemas.dmtf.org/cimi/1/action/export","force":true}""", "'force' is not a parameter" },
    };

    [Theory]
    [MemberData(nameof(BadExports))]
    public async Task A_bad_export_gets_400_naming_why(string action, string problem)
    {
        using var client = await fixture.NewTenantAsync();
        var template = await CimiDocs.Created(client, "systemTemplates", ByValueTemplate());
        var response = await client.SendAsync(HttpMethod.Post, template, action, "application/json");
        Assert.Equal(400, response.Code);
        Assert.Contains(problem, response.Json.Str("message"));
    }

    [Theory]
    [InlineData("http://example.com/exports/sys1.ovf")]
    [InlineData("machines/abc")]
    [InlineData("systemTemplates/abc")]
    [InlineData("file:///etc/passwd")]
    public async Task An_import_from_anywhere_but_this_clouds_exports_gets_400(string source)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.PostAsync("systemTemplates", ImportAction(source));
        Assert.Equal(400, response.Code);
        Assert.Contains("imports only its own exports", response.Json.Str("message"));
    }

    [Fact]
    public async Task An_import_action_in_xml_is_taken_too()
    {
        using var client = await fixture.NewTenantAsync();
        var url = client.Absolute(await ExportUrlAsync(client, await CimiDocs.Created(client, "systemTemplates", ByValueTemplate())));
        var response = await client.SendAsync(HttpMethod.Post, "systemTemplates",
            $"<Action xmlns=\"http://schemas.dmtf.org/cimi/1\"><action>http://schemas.dmtf.org/cimi/1/action/import</action><source>{url}</source></Action>",
            "application/xml");
        Assert.True(response.Code == 201, response.ToString());
    }

    [Fact]
    public async Task Another_tenants_template_is_not_found_for_export_or_import()
    {
        using var alice = await fixture.NewTenantAsync();
        using var bob = await fixture.NewTenantAsync();
        var template = await CimiDocs.Created(alice, "systemTemplates", ByValueTemplate());
        var url = await ExportUrlAsync(alice, template);

        Assert.Equal(404, (await bob.PostAsync(template, ExportAction())).Code);
        Assert.Equal(404, (await bob.GetAsync(url, Ovf)).Code);
        Assert.Equal(404, (await bob.PostAsync("systemTemplates", ImportAction(alice.Absolute(url)))).Code);
        Assert.Equal(0, (await bob.GetAsync("systemTemplates")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_template_advertises_export_and_metadata_declares_both()
    {
        using var client = await fixture.NewTenantAsync();
        var template = (await client.PostAsync("systemTemplates", ByValueTemplate())).Json;
        Assert.Contains("http://schemas.dmtf.org/cimi/1/action/export", template.Rels());
        var metadata = (await client.GetAsync("resourceMetadata/SystemTemplate")).Json;
        var actions = metadata["actions"]!.AsArray().Select(a => a.Str("uri")).ToList();
        Assert.Contains("http://schemas.dmtf.org/cimi/1/action/export", actions);
        Assert.Contains("http://schemas.dmtf.org/cimi/1/action/import", actions);
        Assert.Contains(metadata["capabilities"]!.AsArray(), c => c.Str("name") == "SystemTemplateOvf");
    }

    /// <summary>Every kind of component, all by value, with '#name' references and a nested System that reuses names.</summary>
    private static JsonObject ByValueTemplate() => new()
    {
        ["name"] = "shop",
        ["description"] = "web ×3 and a db on one network, a volume, a credential, a nested backend",
        ["properties"] = new JsonObject { ["owner"] = "team-a" },
        ["placementPolicy"] = "pack",
        ["componentDescriptors"] = new JsonArray(
            Component("admin", "Credential", "credentialTemplate", new JsonObject { ["userName"] = "admin", ["key"] = "ssh-ed25519 AAAAC3Nz test" }),
            Component("net", "Network", "networkTemplate", new JsonObject
            {
                ["networkConfig"] = new JsonObject { ["networkType"] = "PRIVATE", ["mtu"] = 1450, ["subnet"] = "10.42.0.0/24" },
                ["initialState"] = "STARTED",
            }, description: "the shop's network"),
            Component("data", "Volume", "volumeTemplate", new JsonObject
            {
                ["volumeConfig"] = new JsonObject { ["format"] = "ext4", ["capacity"] = 2097152 },
            }),
            Component("web", "Machine", "machineTemplate", new JsonObject
            {
                ["machineConfig"] = new JsonObject { ["cpu"] = 1, ["memory"] = 262144 },
                ["machineImage"] = new JsonObject { ["imageLocation"] = "docker:cimigrains/demo:latest" },
                ["credential"] = Ref("#admin"),
                ["networkInterfaces"] = new JsonArray(new JsonObject { ["network"] = Ref("#net") }),
            }, quantity: 3, properties: new JsonObject { ["tier"] = "front" }),
            Component("db", "Machine", "machineTemplate", new JsonObject
            {
                ["initialState"] = "STOPPED",
                ["machineConfig"] = new JsonObject
                {
                    ["cpu"] = 2, ["memory"] = 1048576, ["cpuArch"] = "x86_64",
                    ["disks"] = new JsonArray(new JsonObject { ["capacity"] = 1048576, ["format"] = "ext4", ["initialLocation"] = "/var/lib/db" }),
                },
                ["machineImage"] = new JsonObject { ["imageLocation"] = "qemu:demo-vm" },
                ["userData"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("#!/bin/sh\necho db\n")),
                ["volumeTemplates"] = new JsonArray(new JsonObject
                {
                    ["initialLocation"] = "/scratch", ["volumeConfig"] = new JsonObject { ["format"] = "raw", ["capacity"] = 65536 },
                }),
                ["networkInterfaces"] = new JsonArray(new JsonObject { ["network"] = Ref("#net") }),
            }),
            Component("backend", "System", "systemTemplate", new JsonObject
            {
                ["name"] = "backend",
                ["componentDescriptors"] = new JsonArray(
                    Component("net", "Network", "networkTemplate", new JsonObject
                    {
                        ["networkConfig"] = new JsonObject { ["networkType"] = "PRIVATE", ["subnet"] = "10.43.0.0/24" },
                    }),
                    Component("web", "Machine", "machineTemplate", new JsonObject
                    {
                        ["machineConfig"] = new JsonObject { ["cpu"] = 1, ["memory"] = 131072 },
                        ["machineImage"] = new JsonObject { ["imageLocation"] = "docker:cimigrains/demo:latest" },
                        ["networkInterfaces"] = new JsonArray(new JsonObject { ["network"] = Ref("#net") }),
                    }, quantity: 2)),
            }, quantity: 2)),
    };

    private static JsonObject Component(string name, string type, string attribute, JsonObject template, int? quantity = null,
        string? description = null, JsonObject? properties = null)
    {
        var c = new JsonObject { ["name"] = name };
        if (description is not null) c["description"] = description;
        if (properties is not null) c["properties"] = properties;
        c["type"] = "http://schemas.dmtf.org/cimi/1/" + type;
        c[attribute] = template;
        if (quantity is not null) c["quantity"] = quantity;
        return c;
    }

    private static JsonObject Ref(string href) => new() { ["href"] = href };

    private static JsonObject ExportAction() => new()
    {
        ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/Action",
        ["action"] = "http://schemas.dmtf.org/cimi/1/action/export",
        ["format"] = "application/ovf",
    };

    private static JsonObject ImportAction(string source) => new()
    {
        ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/Action",
        ["action"] = "http://schemas.dmtf.org/cimi/1/action/import",
        ["source"] = source,
    };

    private static XElement Item(IEnumerable<XElement> items, int resourceType) =>
        items.Single(i => i.Element(Rasd + "ResourceType")!.Value == resourceType.ToString());

    private static async Task<string> ExportUrlAsync(CimiClient client, string template)
    {
        var response = await client.PostAsync(template, ExportAction());
        Assert.True(response.Code == 200, $"export: {response}");
        var location = response.Header("Location")!;
        Assert.Equal(client.Absolute(template) + "/ovf", location);
        return location;
    }

    private static async Task<string> ImportAsync(CimiClient client, string exportUrl)
    {
        var response = await client.PostAsync("systemTemplates", ImportAction(exportUrl));
        Assert.True(response.Code == 201, $"import: {response}");
        return response.Header("Location")!;
    }

    /// <summary>The envelope of a new template with every kind of component.</summary>
    private static async Task<XDocument> ExportedAsync(CimiClient client) =>
        XDocument.Parse(await EnvelopeTextAsync(client, await CimiDocs.Created(client, "systemTemplates", ByValueTemplate())));

    private static async Task<string> EnvelopeTextAsync(CimiClient client, string template)
    {
        var response = await client.GetAsync(await ExportUrlAsync(client, template), Ovf);
        Assert.Equal(200, response.Code);
        return response.Body;
    }
}
