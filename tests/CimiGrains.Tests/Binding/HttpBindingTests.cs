using System.Xml.Linq;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Binding;

/// <summary>The binding over HTTP against a real gateway: negotiation, XML end to end, a validated crawl, queries.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HttpBindingTests(GatewayFixture fixture)
{
    private static readonly XNamespace Cimi = CimiSchema.Namespace;

    [Theory]
    [InlineData(null, 200, "application/json")]
    [InlineData("*/*", 200, "application/json")]
    [InlineData("application/json", 200, "application/json")]
    [InlineData("application/xml", 200, "application/xml")]
    [InlineData("text/xml", 200, "application/xml")]
    [InlineData("application/xml;q=0.9, application/json;q=0.5", 200, "application/xml")]
    [InlineData("application/json;q=0.4, application/xml;q=0.5", 200, "application/xml")]
    [InlineData("application/*", 200, "application/json")]
    [InlineData("text/html", 406, "application/json")]
    [InlineData("application/xml;q=0, application/json;q=0", 406, "application/json")]
    public async Task Accept_chooses_the_rendering_or_gets_406(string? accept, int status, string contentType)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.GetAsync("cloudEntryPoint", accept);
        Assert.True(response.Code == status, response.ToString());
        Assert.Equal(contentType, response.ContentType);
        if (status == 200 && contentType == "application/xml") CimiSchema.AssertValid(response.Body);
    }

    [Theory]
    [InlineData("application/json", "{\"name\":\"c\",\"cpu\":1,\"memory\":262144}", 201)]
    [InlineData("application/xml", "<MachineConfiguration xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>c</name><cpu>1</cpu><memory>262144</memory></MachineConfiguration>", 201)]
    [InlineData("text/xml; charset=utf-8", "<MachineConfiguration><name>c</name><cpu>1</cpu><memory>262144</memory></MachineConfiguration>", 201)]
    [InlineData("text/plain", "cpu=1", 415)]
    [InlineData(null, "{\"name\":\"c\"}", 415)]
    public async Task Content_type_chooses_the_reader_whatever_the_accept_or_gets_415(string? contentType, string body, int status)
    {
        using var client = await fixture.NewTenantAsync();
        foreach (var accept in new[] { "application/json", "application/xml" })
        {
            var response = await client.SendAsync(HttpMethod.Post, "machineConfigs", body, contentType, accept);
            Assert.True(response.Code == status, response.ToString());
            if (status == 201 && accept == "application/xml") CimiSchema.AssertValid(response.Body);
        }
    }

    [Fact]
    public async Task Errors_come_in_XML_when_the_client_asks_for_XML()
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.GetAsync("machines/nothere", "application/xml");
        Assert.Equal(404, response.Code);
        Assert.Equal("application/xml", response.ContentType);
        var root = XDocument.Parse(response.Body).Root!;
        Assert.Equal("Error", root.Name.LocalName);
        Assert.Contains("was not found", root.Elements().Single(e => e.Name.LocalName == "message").Value);
    }

    [Theory]
    [InlineData("1.0.1", 200)]
    [InlineData("1.0", 200)]
    [InlineData("1", 200)]
    [InlineData("2.0, 1.0", 200)]
    [InlineData("2.0", 400)]
    [InlineData("0.9, 1.1", 400)]
    public async Task CIMI_Specification_Version_is_negotiated(string requested, int status)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.SendAsync(HttpMethod.Get, "cloudEntryPoint", null, null,
            headers: new Dictionary<string, string> { ["CIMI-Specification-Version"] = requested });
        Assert.True(response.Code == status, response.ToString());
        Assert.Equal("1.0.1", response.Header("CIMI-Specification-Version"));
        if (status == 400) Assert.Contains("implements 1.0.1", response.Json.Str("message"));
    }

    [Fact]
    public async Task Every_XML_document_reachable_from_the_entry_point_validates_against_DSP8009()
    {
        using var client = await fixture.NewTenantAsync();
        await CimiDocs.MachineWithoutHostAsync(client);
        await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());

        var seen = new HashSet<string>();
        var queue = new Queue<string>([client.Cimi + "cloudEntryPoint"]);
        while (queue.Count > 0)
        {
            var url = queue.Dequeue();
            if (!seen.Add(url)) continue;
            var response = await client.GetAsync(url, "application/xml");
            Assert.True(response.Code == 200, $"GET {url}: {response}");
            CimiSchema.AssertValid(response.Body);
            var document = XDocument.Parse(response.Body);
            var links = document.Descendants().Select(e => e.Attribute("href")?.Value)
                .Concat(document.Descendants(Cimi + "id").Select(e => e.Value)).OfType<string>();
            foreach (var href in links)
            {
                if (href.StartsWith(client.Cimi, StringComparison.Ordinal)) queue.Enqueue(href);
            }
        }
        Assert.Contains(seen, u => u.Contains("/machines/"));
        Assert.Contains(seen, u => u.Contains("/jobs/"));
        Assert.Contains(seen, u => u.EndsWith("/resourceMetadata/Machine", StringComparison.Ordinal));
        Assert.True(seen.Count >= 15, $"The crawl saw only {seen.Count} documents.");
        // Expanded documents validate too.
        var expanded = await client.GetAsync("jobs?$expand=targetResource,affectedResources", "application/xml");
        CimiSchema.AssertValid(expanded.Body);
        Assert.NotEmpty(XDocument.Parse(expanded.Body).Descendants(Cimi + "targetResource").Elements(Cimi + "state"));
    }

    [Fact]
    public async Task A_client_can_do_everything_in_XML_from_the_entry_point_on()
    {
        using var client = await fixture.NewTenantAsync();
        const string xml = "application/xml";
        async Task<XElement> Get(string url)
        {
            var r = await client.GetAsync(url, xml);
            Assert.True(r.Code == 200, $"GET {url}: {r}");
            CimiSchema.AssertValid(r.Body);
            return XDocument.Parse(r.Body).Root!;
        }
        async Task<CimiResponse> Post(string url, string body)
        {
            var r = await client.SendAsync(HttpMethod.Post, url, body, xml, xml);
            if (r.Body.Length > 0 && r.Code < 300) CimiSchema.AssertValid(r.Body);
            return r;
        }

        var cep = await Get("cloudEntryPoint");
        string Href(XElement e, string name) => e.Element(Cimi + name)!.Attribute("href")!.Value;
        var configs = await Get(Href(cep, "machineConfigs"));
        var images = await Get(Href(cep, "machineImages"));
        var addConfig = configs.Elements(Cimi + "operation").Single(o => o.Attribute("rel")!.Value == "add").Attribute("href")!.Value;
        var config = await Post(addConfig, "<MachineConfiguration xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>small</name><cpu>1</cpu><memory>262144</memory><disk><capacity>1048576</capacity><format>ext4</format></disk></MachineConfiguration>");
        Assert.Equal(201, config.Code);
        var image = await Post(images.Element(Cimi + "id")!.Value, "<MachineImage xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>demo</name><imageLocation>docker:cimigrains/demo:latest</imageLocation></MachineImage>");
        Assert.Equal(201, image.Code);
        Assert.Equal("1", (await Get(Href(cep, "machineConfigs"))).Element(Cimi + "count")!.Value);

        var create = await Post(Href(cep, "machines"), $"""
            <MachineCreate xmlns="http://schemas.dmtf.org/cimi/1">
              <name>xml-machine</name>
              <machineTemplate>
                <machineConfig href="{config.Header("Location")}"/>
                <machineImage href="{image.Header("Location")}"/>
              </machineTemplate>
            </MachineCreate>
            """);
        var jobUri = create.JobUri();
        Assert.Equal("Machine", XDocument.Parse(create.Body).Root!.Name.LocalName);
        var job = await Eventually.Until(() => Get(jobUri), j => j.Element(Cimi + "state")!.Value is "FAILED" or "SUCCESS", "the create job to finish");
        Assert.Equal("FAILED", job.Element(Cimi + "state")!.Value);

        var machine = await Get(create.Header("Location")!);
        Assert.Equal("ERROR", machine.Element(Cimi + "state")!.Value);
        var operations = machine.Elements(Cimi + "operation").ToDictionary(o => o.Attribute("rel")!.Value, o => o.Attribute("href")!.Value);
        Assert.Contains("http://schemas.dmtf.org/cimi/1/action/start", operations.Keys);
        Assert.Contains("http://schemas.dmtf.org/cimi/1/action/stop", operations.Keys);
        Assert.Contains("delete", operations.Keys);

        foreach (var action in new[] { "start", "stop" })
        {
            var acted = await Post(operations[$"http://schemas.dmtf.org/cimi/1/action/{action}"],
                $"<Action xmlns=\"http://schemas.dmtf.org/cimi/1\"><action>http://schemas.dmtf.org/cimi/1/action/{action}</action></Action>");
            var actedJob = acted.JobUri();
            // An action's 202 carries the Machine as it is now; its Job is named by CIMI-Job-URI.
            Assert.Equal("Machine", XDocument.Parse(acted.Body).Root!.Name.LocalName);
            await Eventually.Until(() => Get(actedJob), j => j.Element(Cimi + "state")!.Value is "FAILED" or "SUCCESS", $"the {action} job to finish");
        }

        var renamed = await client.SendAsync(HttpMethod.Put, operations["edit"] + "?$select=name", "<Machine xmlns=\"http://schemas.dmtf.org/cimi/1\"><name> renamed </name></Machine>", xml, xml);
        Assert.True(renamed.Code == 200, renamed.ToString());
        Assert.Equal("renamed", XDocument.Parse(renamed.Body).Root!.Element(Cimi + "name")!.Value);

        var deleted = await client.SendAsync(HttpMethod.Delete, operations["delete"], null, null, xml);
        Assert.True(deleted.Code is 200 or 202, deleted.ToString());
        await Eventually.Until(() => client.GetAsync(create.Header("Location")!, xml), r => r.Code == 404, "the machine to be gone");
    }

    [Fact]
    public async Task Updates_in_XML_reject_provider_set_attributes_like_JSON_updates()
    {
        using var client = await fixture.NewTenantAsync();
        var config = await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());
        var full = await client.SendAsync(HttpMethod.Put, config, "<MachineConfiguration><name>n</name><created>2020-01-01T00:00:00Z</created><cpu>1</cpu><memory>262144</memory></MachineConfiguration>", "application/xml");
        Assert.Equal(400, full.Code);
        Assert.Contains("'created' is set by the provider", full.Json.Str("message"));
        var selected = await client.SendAsync(HttpMethod.Put, config + "?$select=operations", "<MachineConfiguration/>", "application/xml");
        Assert.Equal(400, selected.Code);
        var partial = await client.SendAsync(HttpMethod.Put, config + "?$select=description", "<MachineConfiguration><description>d</description><cpu>9</cpu></MachineConfiguration>", "application/xml");
        Assert.True(partial.Code == 200, partial.ToString());
        Assert.Equal("d", partial.Json.Str("description"));
        Assert.Equal(1, partial.Json["cpu"]!.GetValue<int>());
    }

    [Fact]
    public async Task Collections_filter_order_page_select_and_expand_on_the_server()
    {
        using var client = await fixture.NewTenantAsync();
        for (var cpu = 1; cpu <= 5; cpu++)
            await CimiDocs.Created(client, "machineConfigs", new System.Text.Json.Nodes.JsonObject { ["name"] = $"c{cpu}", ["cpu"] = cpu, ["memory"] = 262144 * cpu });

        var page = (await client.GetAsync("machineConfigs?$filter=cpu>=2 and memory<1310720&$orderby=cpu:desc&$first=2&$last=3&$select=name,cpu")).Json;
        Assert.Equal(3, page["count"]!.GetValue<int>());
        var items = page["machineConfigurations"]!.AsArray();
        Assert.Equal(["c3", "c2"], items.Select(i => i!.Str("name")));
        Assert.Equal(["resourceURI", "name", "cpu"], items[0]!.AsObject().Select(p => p.Key));

        var bad = await client.GetAsync("machineConfigs?$filter=cpu>=");
        Assert.Equal(400, bad.Code);
        Assert.Contains("at position 6, expected a value", bad.Json.Str("message"));
        var unknown = await client.GetAsync("machineConfigs?$filter=gpu=1");
        Assert.Contains("'gpu', which is not an attribute of MachineConfiguration", unknown.Json.Str("message"));
        var badOrder = await client.GetAsync("machineConfigs?$orderby=cpu:sideways");
        Assert.Contains("expected 'asc' or 'desc'", badOrder.Json.Str("message"));

        var machine = await CimiDocs.MachineWithoutHostAsync(client);
        var selected = (await client.GetAsync(machine + "?$select=state,cpu")).Json;
        Assert.Equal(["resourceURI", "state", "cpu"], selected.Select(p => p.Key));
        var expanded = (await client.GetAsync(machine + "?$expand=machineConfig,machineImage")).Json;
        Assert.Equal("cfg", expanded["machineConfig"]!.Str("name"));
        Assert.Equal(expanded["machineConfig"]!.Str("href"), expanded["machineConfig"]!.Str("id"));
        Assert.Equal("docker:cimigrains/demo:latest", expanded["machineImage"]!.Str("imageLocation"));
        var nested = (await client.GetAsync("jobs?$filter=action='add'&$expand=targetResource/machineConfig")).Json;
        Assert.Equal("cfg", nested["jobs"]![0]!["targetResource"]!["machineConfig"]!.Str("name"));
        var notRef = await client.GetAsync(machine + "?$expand=cpu");
        Assert.Equal(400, notRef.Code);
    }
}
