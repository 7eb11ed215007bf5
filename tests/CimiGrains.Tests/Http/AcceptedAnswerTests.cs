using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Binding;

namespace CimiGrains.Tests.Http;

/// <summary>
/// Finding 11 (issue 9): an asynchronous operation answers the way the CIMI clients in use read it: 202,
/// the target resource as the body (JSON and XML), its URI in <c>Location</c> and the Job in
/// <c>CIMI-Job-URI</c>. The golden files Accepted-MachineCreate.{json,xml} hold a create's answer.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AcceptedAnswerTests(GatewayFixture fixture)
{
    private static readonly XNamespace Cimi = CimiSchema.Namespace;

    [Fact]
    public async Task A_create_answers_202_with_the_new_Machine_CREATING_as_the_body_and_its_Job_in_CIMI_Job_URI()
    {
        using var client = await fixture.NewTenantAsync();
        var template = await CimiDocs.TemplateAsync(client);

        var response = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "accepted"));

        var jobUri = response.JobUri();
        var machineUri = response.Header("Location")!;
        Assert.StartsWith(client.Cimi + "machines/", machineUri);
        Assert.StartsWith(client.Cimi + "jobs/", jobUri);
        var body = response.Json;
        Assert.Equal("http://schemas.dmtf.org/cimi/1/Machine", body.Str("resourceURI"));
        Assert.Equal(machineUri, body.Str("id"));
        Assert.Equal("CREATING", body.Str("state"));
        Assert.Equal("accepted", body.Str("name"));
        GoldenFiles.VerifyJson("Accepted-MachineCreate", body);

        var job = (await client.GetAsync(jobUri)).Json;
        Assert.Equal("add", job.Str("action"));
        Assert.Equal(machineUri, job["targetResource"].Str("href"));
    }

    [Fact]
    public async Task A_create_in_XML_answers_202_with_a_Machine_document_that_the_schema_accepts()
    {
        using var client = await fixture.NewTenantAsync();
        var config = await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());
        var image = await CimiDocs.Created(client, "machineImages", CimiDocs.Image());

        var response = await client.SendAsync(HttpMethod.Post, "machines", $"""
            <MachineCreate xmlns="http://schemas.dmtf.org/cimi/1">
              <name>accepted</name>
              <machineTemplate>
                <machineConfig href="{config}"/>
                <machineImage href="{image}"/>
              </machineTemplate>
            </MachineCreate>
            """, "application/xml", "application/xml");

        var jobUri = response.JobUri();
        Assert.Equal("application/xml", response.ContentType);
        CimiSchema.AssertValid(response.Body);
        var root = XDocument.Parse(response.Body).Root!;
        Assert.Equal(Cimi + "Machine", root.Name);
        Assert.Equal(response.Header("Location"), root.Element(Cimi + "id")!.Value);
        Assert.Equal("CREATING", root.Element(Cimi + "state")!.Value);
        GoldenFiles.VerifyXml("Accepted-MachineCreate", response.Body);
        Assert.Equal(200, (await client.GetAsync(jobUri)).Code);
    }

    [Fact]
    public async Task An_action_answers_202_with_the_Machine_in_its_transitional_state_and_the_actions_Job()
    {
        using var client = await fixture.NewTenantAsync();
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);

        var response = await client.PostAsync(machineUri, CimiDocs.Action("start"));

        var jobUri = response.JobUri();
        Assert.Equal(machineUri, response.Header("Location"));
        Assert.Equal(machineUri, response.Json.Str("id"));
        Assert.Equal("STARTING", response.Json.Str("state"));
        var job = (await client.GetAsync(jobUri)).Json;
        Assert.Equal("http://schemas.dmtf.org/cimi/1/action/start", job.Str("action"));
        Assert.Equal(machineUri, job["targetResource"].Str("href"));
    }

    [Fact]
    public async Task A_delete_answers_202_with_the_Machine_DELETING_and_the_delete_Job()
    {
        using var client = await fixture.NewTenantAsync();
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);

        var response = await client.SendAsync(HttpMethod.Delete, machineUri, null, null, "application/xml");

        var jobUri = response.JobUri();
        Assert.Equal(machineUri, response.Header("Location"));
        CimiSchema.AssertValid(response.Body);
        var root = XDocument.Parse(response.Body).Root!;
        Assert.Equal(Cimi + "Machine", root.Name);
        Assert.Equal(machineUri, root.Element(Cimi + "id")!.Value);
        Assert.Equal("DELETING", root.Element(Cimi + "state")!.Value);
        var job = await client.WaitForJobAsync(jobUri);
        Assert.Equal("delete", job.Str("action"));
        Assert.Equal("SUCCESS", job.Str("state"));
    }

    [Fact]
    public async Task A_request_whose_Accept_allows_no_rendering_gets_406_before_anything_is_done()
    {
        using var client = await fixture.NewTenantAsync();
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);
        var template = (await client.GetAsync("machineTemplates")).Json["machineTemplates"]![0].Str("id");
        async Task<CimiResponse> Send(HttpMethod method, string url, JsonObject? body) =>
            await client.SendAsync(method, url, body?.ToJsonString(), body is null ? null : "application/json", "text/plain");
        async Task<string> Counts() => string.Join(",", await Task.WhenAll(
            new[] { "machines", "jobs", "machineConfigs" }.Select(async c => (await client.GetAsync(c)).Json["count"]!.ToString())));
        var before = await Counts();

        var create = await Send(HttpMethod.Post, "machines", CimiDocs.MachineCreate(template));
        var action = await Send(HttpMethod.Post, machineUri, CimiDocs.Action("start"));
        var delete = await Send(HttpMethod.Delete, machineUri, null);
        var config = await Send(HttpMethod.Post, "machineConfigs", CimiDocs.Configuration());

        foreach (var response in new[] { create, action, delete, config })
        {
            Assert.True(response.Code == 406, response.ToString());
            Assert.Contains("application/json", response.Json.Str("message"));
        }
        Assert.Equal(before, await Counts());
        Assert.Equal("ERROR", (await client.GetAsync(machineUri)).Json.Str("state"));
    }
}
