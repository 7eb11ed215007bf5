using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Binding;

namespace CimiGrains.Tests.Http.Volumes;

/// <summary>
/// The Volume family over HTTP against a real gateway with no volume pool connected: creates answer 202
/// with a Job and Location, bad input is a 400 naming the problem and leaves nothing behind, and the
/// collections query like every other.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class VolumeApiTests(GatewayFixture fixture)
{
    private static JsonObject Ref(string href) => new() { ["href"] = href };

    private async Task<string> TemplateAsync(CimiClient client, long capacityKiB = 1024 * 1024, string? format = "ext4")
    {
        var config = await CimiDocs.Created(client, "volumeConfigs", VolumeDocs.Configuration(capacityKiB, format));
        return await CimiDocs.Created(client, "volumeTemplates", VolumeDocs.Template(config));
    }

    [Fact]
    public async Task A_create_answers_202_with_the_new_Volume_CREATING_its_Location_and_its_Job()
    {
        using var client = await fixture.NewTenantAsync();
        var template = await TemplateAsync(client);

        var response = await client.PostAsync("volumes", VolumeDocs.Create(Ref(template), "accepted"));

        Assert.True(response.Code == 202, response.ToString());
        var volumeUri = response.Header("Location")!;
        Assert.StartsWith(client.Cimi + "volumes/", volumeUri);
        var body = response.Json;
        Assert.Equal("http://schemas.dmtf.org/cimi/1/Volume", body.Str("resourceURI"));
        Assert.Equal((volumeUri, "CREATING", "ext4"), (body.Str("id"), body.Str("state"), body.Str("format")));
        Assert.Equal(1024 * 1024, body["capacity"]!.GetValue<long>());
        GoldenFiles.VerifyJson("Accepted-VolumeCreate", body);
        var job = (await client.GetAsync(response.JobUri())).Json;
        Assert.Equal(("add", volumeUri), (job.Str("action"), job["targetResource"].Str("href")));

        // No host offers a volume pool here: the Job fails saying so, and the Volume is in ERROR.
        var finished = await client.WaitForJobAsync(response.JobUri());
        Assert.Equal("FAILED", finished.Str("state"));
        Assert.Contains("no connected host offers a volume pool", finished.Str("statusMessage"));
        Assert.Equal("ERROR", (await client.GetAsync(volumeUri)).Json.Str("state"));
    }

    [Fact]
    public async Task A_create_in_XML_by_value_answers_a_Volume_document_the_schema_accepts()
    {
        using var client = await fixture.NewTenantAsync();

        var response = await client.SendAsync(HttpMethod.Post, "volumes", """
            <VolumeCreate xmlns="http://schemas.dmtf.org/cimi/1">
              <name>raw-one</name>
              <volumeTemplate><volumeConfig><format>raw</format><capacity>4096</capacity></volumeConfig></volumeTemplate>
            </VolumeCreate>
            """, "application/xml", "application/xml");

        Assert.True(response.Code == 202, response.ToString());
        Assert.Equal("application/xml", response.ContentType);
        CimiSchema.AssertValid(response.Body);
        var root = XDocument.Parse(response.Body).Root!;
        Assert.Equal("4096", root.Element(XName.Get("capacity", CimiSchema.Namespace))!.Value);
        Assert.Equal("http://schemas.dmtf.org/cimi/1/volume/block", root.Element(XName.Get("type", CimiSchema.Namespace))!.Value);
    }

    public static TheoryData<string, string> BadCreates => new()
    {
        { """{"volumeTemplate":{"volumeConfig":{"capacity":0}}}""", "'capacity' is in KB and must be at least 1, not 0" },
        { """{"volumeTemplate":{"volumeConfig":{"capacity":1024,"format":"vfat"}}}""", "'format' must be one of ext4, raw, qcow2, not 'vfat'" },
        { """{"volumeTemplate":{"volumeConfig":{"format":"ext4"}}}""", "'capacity' (KB) is required" },
        { """{"volumeTemplate":{}}""", "has no 'volumeConfig'" },
        { """{"name":"x"}""", "needs a 'volumeTemplate'" },
        { """{"volumeTemplate":{"href":"volumeTemplates/0123456789abcdef0123456789abcdef"}}""", "which does not exist" },
        { """{"volumeTemplate":{"volumeConfig":{"capacity":1024},"volumeImage":{"href":"volumeImages/0123456789abcdef0123456789abcdef"}}}""", "which does not exist" },
        { """{"volumeTemplate":{"volumeConfig":{"capacity":1024},"volumeImage":{"imageLocation":"volume:nobody/registered"}}}""", "is not allowed" },
    };

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task A_bad_create_is_a_4xx_naming_the_problem_and_leaves_no_volume_or_job(string body, string expected)
    {
        using var client = await fixture.NewTenantAsync();

        var response = await client.SendAsync(HttpMethod.Post, "volumes", body, "application/json");

        // An href that names nothing of the tenant's is a 404, like its id in the URL; the rest are 400s.
        Assert.True(response.Code == (expected == "which does not exist" ? 404 : 400), response.ToString());
        Assert.Contains(expected, response.Body);
        Assert.Equal(0, (await client.GetAsync("volumes")).Json["count"]!.GetValue<int>());
        Assert.Equal(0, (await client.GetAsync("jobs")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_volumes_images_collection_is_listed_in_JSON_and_XML_and_is_the_tenants_own()
    {
        using var client = await fixture.NewTenantAsync();
        var created = await client.PostAsync("volumes", VolumeDocs.Create(Ref(await TemplateAsync(client))));
        var volume = created.Header("Location")!;
        var images = volume + "/images";
        Assert.Equal(images, (await client.GetAsync(volume)).Json["images"].Str("href"));

        var json = await client.GetAsync(images);
        Assert.True(json.Code == 200, json.ToString());
        Assert.Equal(("http://schemas.dmtf.org/cimi/1/VolumeVolumeImageCollection", images, 0),
            (json.Json.Str("resourceURI"), json.Json.Str("id"), json.Json["count"]!.GetValue<int>()));
        var xml = await client.SendAsync(HttpMethod.Get, images, null, null, "application/xml");
        Assert.True(xml.Code == 200, xml.ToString());
        CimiSchema.AssertValid(xml.Body);
        Assert.Equal(404, (await client.GetAsync(images + "/0123456789abcdef")).Code);

        using var other = await fixture.NewTenantAsync();
        Assert.Equal(404, (await other.GetAsync(images)).Code);
    }

    [Fact]
    public async Task Delete_answers_202_with_a_Job_and_the_volume_goes()
    {
        using var client = await fixture.NewTenantAsync();
        var created = await client.PostAsync("volumes", VolumeDocs.Create(Ref(await TemplateAsync(client))));
        await client.WaitForJobAsync(created.JobUri());
        var volume = created.Header("Location")!;

        var deleted = await client.DeleteAsync(volume);

        Assert.True(deleted.Code == 202, deleted.ToString());
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(deleted.JobUri())).Str("state"));
        Assert.Equal(404, (await client.GetAsync(volume)).Code);
    }

    [Fact]
    public async Task Volumes_are_filtered_selected_and_paged_from_the_read_model()
    {
        using var client = await fixture.NewTenantAsync();
        var template = await TemplateAsync(client);
        foreach (var name in new[] { "a", "b", "c" })
            await client.WaitForJobAsync((await client.PostAsync("volumes", VolumeDocs.Create(Ref(template), name))).JobUri());

        var filtered = (await client.GetAsync("volumes?$filter=name='b'")).Json;
        Assert.Equal(1, filtered["count"]!.GetValue<int>());
        Assert.Equal("b", filtered["volumes"]![0].Str("name"));
        // The Job of a create ends before its Volume settles in ERROR (the hosted base finishes the Job first), so
        // the last Volume's state may reach the read model a moment after its Job's.
        await Eventually.Until(() => client.GetAsync("volumes?$filter=state='ERROR' and capacity=1048576"), r => r.Json["count"]!.GetValue<int>() == 3,
            "the three Volumes to be ERROR in the read model");
        var page = (await client.GetAsync("volumes?$first=3&$last=3&$select=name")).Json;
        Assert.Single(page["volumes"]!.AsArray());
        Assert.Null(page["volumes"]![0]!["capacity"]);
    }

    [Fact]
    public async Task A_capture_of_a_volume_that_is_not_AVAILABLE_is_a_409_and_creates_no_image()
    {
        using var client = await fixture.NewTenantAsync();
        var created = await client.PostAsync("volumes", VolumeDocs.Create(Ref(await TemplateAsync(client))));
        await client.WaitForJobAsync(created.JobUri());

        var capture = await client.PostAsync("volumeImages", new JsonObject { ["name"] = "snap", ["imageLocation"] = Ref(created.Header("Location")!) });

        Assert.True(capture.Code == 409, capture.ToString());
        Assert.Contains("The Volume is ERROR; 'capture' is allowed only when it is AVAILABLE", capture.Body);
        Assert.Equal(0, (await client.GetAsync("volumeImages")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_volume_image_must_name_a_location_the_tenant_may_name()
    {
        using var client = await fixture.NewTenantAsync();
        await VolumeDocs.RegisterPublicVolumeImageAsync(fixture.Postgres, "volume:api-tests/blank");

        var registered = await client.PostAsync("volumeImages", new JsonObject { ["imageLocation"] = "volume:api-tests/blank", ["bootable"] = true });
        var other = await client.PostAsync("volumeImages", new JsonObject { ["imageLocation"] = "volume:cimigrains/capture:someone-elses" });
        var notVolume = await client.PostAsync("volumeImages", new JsonObject { ["imageLocation"] = "docker:cimigrains/demo:latest" });

        Assert.True(registered.Code == 201, registered.ToString());
        Assert.Equal(("AVAILABLE", true), (registered.Json.Str("state"), registered.Json["bootable"]!.GetValue<bool>()));
        Assert.True(other.Code == 400 && other.Body.Contains("is not allowed"), other.ToString());
        Assert.True(notVolume.Code == 400 && notVolume.Body.Contains("is not a volume image location"), notVolume.ToString());
    }
}
