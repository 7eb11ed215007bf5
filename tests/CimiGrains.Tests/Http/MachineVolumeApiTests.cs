using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Binding;

namespace CimiGrains.Tests.Http;

/// <summary>A Machine's disks and volumes sub-collections over HTTP, with no host agent connected: the
/// documents (JSON and XML, valid against DSP8009), tenancy, and bad attach requests.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MachineVolumeApiTests(GatewayFixture fixture)
{
    private const string Xml = "application/xml";

    /// <summary>A Machine (no host, so ERROR) whose configuration gives it two disks; returns its id.</summary>
    private static async Task<string> MachineWithDisksAsync(CimiClient client)
    {
        var config = CimiDocs.Configuration();
        config["disks"] = new JsonArray(
            new JsonObject { ["capacity"] = 1048576, ["format"] = "ext4", ["initialLocation"] = "/dev/vdb" },
            new JsonObject { ["capacity"] = 2048 });
        var configId = await CimiDocs.Created(client, "machineConfigs", config);
        var image = await CimiDocs.Created(client, "machineImages", CimiDocs.Image());
        var template = await CimiDocs.Created(client, "machineTemplates", CimiDocs.Template(configId, image));
        var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template));
        await client.WaitForJobAsync(created.JobUri());
        return created.Header("Location")!;
    }

    [Fact]
    public async Task A_machine_references_its_disks_and_volumes_and_the_disks_are_those_of_its_configuration()
    {
        using var client = await fixture.NewTenantAsync();
        var tenant = client.User[..^"-user".Length];
        var machineUri = await MachineWithDisksAsync(client);

        var machine = (await client.GetAsync(machineUri)).Json;
        Assert.Equal(machineUri + "/disks", machine["disks"].Str("href"));
        Assert.Equal(machineUri + "/volumes", machine["volumes"].Str("href"));

        var disks = await client.GetAsync(machineUri + "/disks");
        Assert.True(disks.Code == 200, disks.ToString());
        Assert.Equal("http://schemas.dmtf.org/cimi/1/DiskCollection", disks.Json.Str("resourceURI"));
        Assert.Equal(2, disks.Json["count"]!.GetValue<int>());
        var first = disks.Json["disks"]![0]!.AsObject();
        Assert.Equal(machineUri + "/disks/0", first.Str("id"));
        Assert.Equal(1048576, first["capacity"]!.GetValue<long>());
        Assert.Equal("/dev/vdb", first.Str("initialLocation"));
        Assert.Null(disks.Json["operations"]); // disks come and go with the Machine only

        var disksXml = await client.GetAsync(machineUri + "/disks", Xml);
        CimiSchema.AssertValid(disksXml.Body);
        Assert.Equal(2, XDocument.Parse(disksXml.Body).Root!.Elements(XName.Get("Disk", CimiSchema.Namespace)).Count());

        var one = await client.GetAsync(machineUri + "/disks/0");
        Assert.True(one.Code == 200, one.ToString());
        var oneXml = await client.GetAsync(machineUri + "/disks/0", Xml);
        CimiSchema.AssertValid(oneXml.Body);
        GoldenFiles.VerifyJson("Disk", JsonNode.Parse(one.Body.Replace(tenant, "{tenant}", StringComparison.Ordinal))!);
        GoldenFiles.VerifyXml("Disk", XDocument.Parse(oneXml.Body).ToString().Replace(tenant, "{tenant}", StringComparison.Ordinal));
        Assert.Equal(404, (await client.GetAsync(machineUri + "/disks/2")).Code);

        var volumes = await client.GetAsync(machineUri + "/volumes");
        Assert.Equal("http://schemas.dmtf.org/cimi/1/MachineVolumeCollection", volumes.Json.Str("resourceURI"));
        Assert.Equal(0, volumes.Json["count"]!.GetValue<int>());
        Assert.Contains(volumes.Json["operations"]!.AsArray(), o => o.Str("rel") == "add" && o.Str("href") == machineUri + "/volumes");
        CimiSchema.AssertValid((await client.GetAsync(machineUri + "/volumes", Xml)).Body);
        Assert.Equal(404, (await client.GetAsync(machineUri + "/volumes/0123456789abcdef0123456789abcdef")).Code);
    }

    [Fact]
    public async Task Another_tenants_machine_has_no_disks_or_volumes_to_show_or_attach_to()
    {
        using var owner = await fixture.NewTenantAsync();
        using var other = await fixture.NewTenantAsync();
        var machineUri = await MachineWithDisksAsync(owner);
        var path = machineUri[owner.Cimi.Length..];

        Assert.Equal(404, (await other.GetAsync(path + "/disks")).Code);
        Assert.Equal(404, (await other.GetAsync(path + "/disks/0")).Code);
        Assert.Equal(404, (await other.GetAsync(path + "/volumes")).Code);
        var attach = await other.PostAsync(path + "/volumes",
            new JsonObject { ["volume"] = new JsonObject { ["href"] = other.Cimi + "volumes/0123456789abcdef0123456789abcdef" }, ["initialLocation"] = "/data" });
        Assert.Equal(404, attach.Code);
        Assert.Equal(0, (await owner.GetAsync(path + "/volumes")).Json["count"]!.GetValue<int>());
    }

    public static TheoryData<string, int, string> BadAttachments => new()
    {
        { """{"initialLocation":"/data"}""", 400, "needs 'volume'" },
        { """{"volume":{"href":"VOLUMES"},"initialLocation":"data"}""", 400, "not an absolute path" },
        { """{"volume":{"href":"VOLUMES"},"initialLocation":"/a/../../etc"}""", 400, "not a normalized path" },
        { """{"volume":{"href":"VOLUMES"},"initialLocation":"/data\u0000x"}""", 400, "" },
        { """{"volume":{"href":"VOLUMES"}}""", 400, "needs 'initialLocation'" },
        { """{"volume":{"href":"MACHINES"},"initialLocation":"/data"}""", 400, "must reference a Volume" },
        { """{"volume":{"href":"VOLUMES"},"initialLocation":"/data","properties":{"cimigrains.readOnly":"maybe"}}""", 400, "'true' or 'false'" },
        { """{"volume":{"href":"VOLUMES"},"initialLocation":"/data"}""", 404, "was not found" },
        { """{"volume":{"href":"VOLUMES"},"initialLocation":"/data","id":"x"}""", 400, "'id'" },
    };

    [Theory, MemberData(nameof(BadAttachments))]
    public async Task A_bad_attach_request_is_refused_naming_the_problem_and_attaches_nothing(string body, int status, string problem)
    {
        using var client = await fixture.NewTenantAsync();
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);
        var text = body.Replace("VOLUMES", client.Cimi + "volumes/0123456789abcdef0123456789abcdef", StringComparison.Ordinal)
            .Replace("MACHINES", machineUri, StringComparison.Ordinal);

        var response = await client.SendAsync(HttpMethod.Post, machineUri + "/volumes", text, "application/json");

        Assert.True(response.Code == status, $"{body}: {response}");
        Assert.Contains(problem, response.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync(machineUri + "/volumes")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_MachineVolume_in_XML_is_read_like_one_in_JSON()
    {
        using var client = await fixture.NewTenantAsync();
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);
        var xml = $"""
            <MachineVolume xmlns="http://schemas.dmtf.org/cimi/1">
              <initialLocation>/data</initialLocation>
              <volume href="{client.Cimi}volumes/0123456789abcdef0123456789abcdef"/>
            </MachineVolume>
            """;

        var response = await client.SendAsync(HttpMethod.Post, machineUri + "/volumes", xml, Xml);

        // Read and resolved: the Volume it names does not exist.
        Assert.True(response.Code == 404, response.ToString());
        Assert.Contains("volumes/0123456789abcdef0123456789abcdef", response.Json.Str("message"));
    }

    [Fact]
    public async Task A_template_naming_a_volume_that_is_not_the_tenants_is_refused_and_stores_nothing()
    {
        using var client = await fixture.NewTenantAsync();
        var template = await CimiDocs.TemplateAsync(client);
        var stored = (await client.GetAsync(template)).Json;
        var volumes = new JsonArray(new JsonObject { ["href"] = client.Cimi + "volumes/0123456789abcdef0123456789abcdef", ["initialLocation"] = "/data" });

        var byValue = new JsonObject
        {
            ["machineTemplate"] = new JsonObject { ["href"] = template, ["volumes"] = volumes },
        };
        var create = await client.PostAsync("machines", byValue);
        Assert.True(create.Code == 404, create.ToString());
        Assert.Contains("does not exist", create.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync("machines")).Json["count"]!.GetValue<int>());

        var newTemplate = new JsonObject
        {
            ["name"] = "with-volume",
            ["machineConfig"] = stored["machineConfig"]!.DeepClone(),
            ["machineImage"] = stored["machineImage"]!.DeepClone(),
            ["volumes"] = volumes.DeepClone(),
        };
        var storedTemplate = await client.PostAsync("machineTemplates", newTemplate);
        Assert.True(storedTemplate.Code == 404, storedTemplate.ToString());
        Assert.Equal(1, (await client.GetAsync("machineTemplates")).Json["count"]!.GetValue<int>());
    }
}
