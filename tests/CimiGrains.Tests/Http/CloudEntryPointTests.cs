namespace CimiGrains.Tests.Http;

[Collection(GatewayCollection.Name)]
public sealed class CloudEntryPointTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Entry_point_links_every_collection_with_absolute_hrefs_under_its_baseURI()
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.GetAsync("cloudEntryPoint");

        Assert.Equal(200, response.Code);
        Assert.Equal("1.0.1", response.Header("CIMI-Specification-Version"));
        var cep = response.Json;
        Assert.Equal("http://schemas.dmtf.org/cimi/1/CloudEntryPoint", cep.Str("resourceURI"));
        var baseUri = cep.Str("baseURI");
        Assert.EndsWith("/", baseUri);
        Assert.Equal(baseUri + "cloudEntryPoint", cep.Str("id"));
        Assert.False(string.IsNullOrEmpty(cep.Str("name")));
        Assert.NotNull(cep["created"]);
        foreach (var (attribute, segment) in new[]
                 {
                     ("machines", "machines"), ("machineTemplates", "machineTemplates"), ("machineConfigs", "machineConfigs"),
                     ("machineImages", "machineImages"), ("credentials", "credentials"),
                     ("credentialTemplates", "credentialTemplates"), ("jobs", "jobs"),
                     ("meters", "meters"), ("meterTemplates", "meterTemplates"), ("meterConfigs", "meterConfigs"),
                 })
        {
            var href = cep[attribute].Str("href");
            Assert.Equal(baseUri + segment, href);
            Assert.Equal(200, (await client.GetAsync(href)).Code);
        }
    }

    [Fact]
    public async Task Requests_without_credentials_get_401_with_a_Basic_challenge()
    {
        using var anonymous = new HttpClient { BaseAddress = fixture.Gateway.BaseAddress };
        using var response = await anonymous.GetAsync("/cimi/cloudEntryPoint");
        Assert.Equal(401, (int)response.StatusCode);
        Assert.Contains("Basic", response.Headers.WwwAuthenticate.ToString());
        Assert.Contains("Authentication is required", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_wrong_password_gets_401()
    {
        using var client = await fixture.NewTenantAsync();
        using var wrong = fixture.Gateway.Client(client.User, "not-the-password");
        Assert.Equal(401, (await wrong.GetAsync("cloudEntryPoint")).Code);
    }

    [Fact]
    public async Task An_unsupported_specification_version_gets_400_naming_it()
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.SendAsync(HttpMethod.Get, "cloudEntryPoint", null, null,
            headers: new Dictionary<string, string> { ["CIMI-Specification-Version"] = "2.0" });
        Assert.Equal(400, response.Code);
        Assert.Contains("2.0", response.Json.Str("message"));

        var prefix = await client.SendAsync(HttpMethod.Get, "cloudEntryPoint", null, null,
            headers: new Dictionary<string, string> { ["CIMI-Specification-Version"] = "2.0, 1.0" });
        Assert.Equal(200, prefix.Code);
    }

    [Fact]
    public async Task Select_and_expand_on_the_entry_point_project_it_and_inline_collections_in_JSON_and_XML()
    {
        using var client = await fixture.NewTenantAsync();
        var config = await CimiDocs.Created(client, "machineConfigs", CimiDocs.Configuration());

        var selected = (await client.GetAsync("cloudEntryPoint?$select=name,machineConfigs")).Json;
        Assert.Equal(["resourceURI", "name", "machineConfigs"], selected.Select(p => p.Key));

        var expanded = (await client.GetAsync("cloudEntryPoint?$expand=machineConfigs,resourceMetadata")).Json;
        var configs = expanded["machineConfigs"]!;
        Assert.Equal(client.Cimi + "machineConfigs", configs.Str("href"));
        Assert.Equal(client.Cimi + "machineConfigs", configs.Str("id"));
        Assert.Equal(1, configs["count"]!.GetValue<int>());
        Assert.Equal(config, configs["machineConfigurations"]![0]!.Str("id"));
        Assert.Null(configs["operations"]);
        Assert.Equal(CimiGrains.Gateway.ResourceMetadata.ResourceMetadataCatalog.All.Count, expanded["resourceMetadata"]!["resourceMetadatas"]!.AsArray().Count);
        Assert.Equal(["href"], expanded["machines"]!.AsObject().Select(p => p.Key));

        var all = await client.GetAsync("cloudEntryPoint?$expand=*", "application/xml");
        Assert.True(all.Code == 200, all.ToString());
        Binding.CimiSchema.AssertValid(all.Body);
        var root = System.Xml.Linq.XDocument.Parse(all.Body).Root!;
        System.Xml.Linq.XNamespace cimi = Binding.CimiSchema.Namespace;
        var xmlConfigs = root.Element(cimi + "machineConfigs")!;
        Assert.Equal(client.Cimi + "machineConfigs", xmlConfigs.Attribute("href")!.Value);
        Assert.Equal(["id", "count", "MachineConfiguration"], xmlConfigs.Elements().Select(e => e.Name.LocalName));
        Assert.Equal(["id", "count"], root.Element(cimi + "machines")!.Elements().Select(e => e.Name.LocalName));

        var notRef = await client.GetAsync("cloudEntryPoint?$expand=name");
        Assert.Equal(400, notRef.Code);
        var nested = await client.GetAsync("cloudEntryPoint?$expand=machines/machineConfig");
        Assert.Equal(400, nested.Code);
        Assert.Contains("machines?$expand=machineConfig", nested.Json.Str("message"));
    }

    [Theory]
    [InlineData("POST", "cloudEntryPoint", "GET")]
    [InlineData("DELETE", "cloudEntryPoint", "GET")]
    [InlineData("PUT", "resourceMetadata", "GET")]
    [InlineData("DELETE", "resourceMetadata/Machine", "GET")]
    [InlineData("DELETE", "machineConfigs", "GET, POST")]
    public async Task A_method_a_resource_does_not_take_gets_405_with_Allow(string method, string path, string allow)
    {
        using var client = await fixture.NewTenantAsync();
        foreach (var accept in new[] { "application/json", "application/xml" })
        {
            var response = await client.SendAsync(new HttpMethod(method), path, method == "DELETE" ? null : "{}", method == "DELETE" ? null : "application/json", accept);
            Assert.True(response.Code == 405, response.ToString());
            Assert.Equal(allow.Replace(" ", ""), response.Header("Allow")?.Replace(" ", ""));
            Assert.Contains($"does not take {method}", response.Body);
        }
        Assert.Equal(404, (await client.GetAsync("nothing/here")).Code);
    }
}
