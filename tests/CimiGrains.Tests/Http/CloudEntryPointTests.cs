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
}
