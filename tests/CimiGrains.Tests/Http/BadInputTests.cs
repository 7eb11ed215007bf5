using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http;

/// <summary>Every endpoint family answers bad input with a 4xx whose body names the problem, and stores nothing.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BadInputTests(GatewayFixture fixture)
{
    public static TheoryData<string> CreatableCollections => new()
    {
        "machines", "machineTemplates", "machineConfigs", "machineImages", "credentials", "credentialTemplates",
    };

    [Theory]
    [MemberData(nameof(CreatableCollections))]
    public async Task Malformed_json_gets_400_naming_the_position(string collection)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.SendAsync(HttpMethod.Post, collection, "{\"name\": \"x\",", "application/json");
        Assert.Equal(400, response.Code);
        Assert.Contains("not valid JSON", response.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync(collection)).Json["count"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(CreatableCollections))]
    public async Task An_unknown_attribute_gets_400_naming_it(string collection)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.PostAsync(collection, new JsonObject { ["name"] = "x", ["flavour"] = "large" });
        Assert.Equal(400, response.Code);
        Assert.Contains("'flavour'", response.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync(collection)).Json["count"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(CreatableCollections))]
    public async Task An_unsupported_content_type_gets_415(string collection)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.SendAsync(HttpMethod.Post, collection, "name=x", "application/x-www-form-urlencoded");
        Assert.Equal(415, response.Code);
        Assert.Contains("application/json", response.Json.Str("message"));
        var missing = await client.SendAsync(HttpMethod.Post, collection, "{}", null);
        Assert.Equal(415, missing.Code);
    }

    [Theory]
    [MemberData(nameof(CreatableCollections))]
    public async Task Provider_set_attributes_cannot_be_written(string collection)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.PostAsync(collection, new JsonObject { ["name"] = "x", ["created"] = "2020-01-01T00:00:00Z" });
        Assert.Equal(400, response.Code);
        Assert.Contains("'created'", response.Json.Str("message"));
    }

    [Theory]
    [InlineData("machines")]
    [InlineData("machineTemplates")]
    [InlineData("machineConfigs")]
    [InlineData("machineImages")]
    [InlineData("credentials")]
    [InlineData("credentialTemplates")]
    [InlineData("jobs")]
    public async Task Unknown_ids_get_404(string collection)
    {
        using var client = await fixture.NewTenantAsync();
        Assert.Equal(404, (await client.GetAsync($"{collection}/0123456789abcdef")).Code);
        Assert.Equal(404, (await client.GetAsync($"{collection}/not%20an%20id")).Code);
        Assert.Equal(404, (await client.DeleteAsync($"{collection}/0123456789abcdef")).Code);
    }

    [Fact]
    public async Task Wrongly_typed_and_out_of_range_configuration_values_get_400()
    {
        using var client = await fixture.NewTenantAsync();
        var wrongType = await client.PostAsync("machineConfigs", new JsonObject { ["cpu"] = "two", ["memory"] = 262144 });
        Assert.Equal(400, wrongType.Code);
        Assert.Contains("'cpu'", wrongType.Json.Str("message"));

        var zero = await client.PostAsync("machineConfigs", new JsonObject { ["cpu"] = 0, ["memory"] = 262144 });
        Assert.Equal(400, zero.Code);
        Assert.Contains("'cpu'", zero.Json.Str("message"));

        var missing = await client.PostAsync("machineConfigs", new JsonObject { ["cpu"] = 1 });
        Assert.Equal(400, missing.Code);
        Assert.Contains("'memory'", missing.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync("machineConfigs")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Missing_references_get_400_dangling_ones_404_and_create_nothing()
    {
        using var client = await fixture.NewTenantAsync();
        var noTemplate = await client.PostAsync("machines", new JsonObject { ["name"] = "m" });
        Assert.Equal(400, noTemplate.Code);
        Assert.Contains("machineTemplate", noTemplate.Json.Str("message"));

        var dangling = await client.PostAsync("machines", CimiDocs.MachineCreate(client.Cimi + "machineTemplates/0000aaaa"));
        Assert.Equal(404, dangling.Code);
        Assert.Contains("does not exist", dangling.Json.Str("message"));

        var wrongKind = await client.PostAsync("machineTemplates",
            CimiDocs.Template(client.Cimi + "machineImages/abc", client.Cimi + "machineImages/abc"));
        Assert.Equal(400, wrongKind.Code);
        Assert.Contains("machineConfig", wrongKind.Json.Str("message"));

        var foreign = await client.PostAsync("machines", CimiDocs.MachineCreate("http://example.com/elsewhere/machineTemplates/1"));
        Assert.Equal(400, foreign.Code);
        Assert.Contains("does not reference a resource of this cloud", foreign.Json.Str("message"));

        Assert.Equal(0, (await client.GetAsync("machines")).Json["count"]!.GetValue<int>());
        Assert.Equal(0, (await client.GetAsync("machineTemplates")).Json["count"]!.GetValue<int>());
        Assert.Equal(0, (await client.GetAsync("jobs")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Bad_actions_get_400_naming_the_problem()
    {
        using var client = await fixture.NewTenantAsync();
        var template = await CimiDocs.TemplateAsync(client);
        var machine = (await client.PostAsync("machines", CimiDocs.MachineCreate(template))).Header("Location")!;

        var unknown = await client.PostAsync(machine, CimiDocs.Action("explode"));
        Assert.Equal(400, unknown.Code);
        Assert.Contains("explode", unknown.Json.Str("message"));

        var noAction = await client.PostAsync(machine, new JsonObject { ["force"] = true });
        Assert.Equal(400, noAction.Code);
        Assert.Contains("'action'", noAction.Json.Str("message"));

        var badForce = await client.PostAsync(machine, new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/stop", ["force"] = 7 });
        Assert.Equal(400, badForce.Code);
        Assert.Contains("'force'", badForce.Json.Str("message"));
    }

    [Fact]
    public async Task Bad_paging_parameters_get_400()
    {
        using var client = await fixture.NewTenantAsync();
        Assert.Equal(400, (await client.GetAsync("machines?$first=0")).Code);
        var response = await client.GetAsync("machines?$first=abc");
        Assert.Equal(400, response.Code);
        Assert.Contains("$first", response.Json.Str("message"));
    }

    [Fact]
    public async Task An_oversized_body_gets_413()
    {
        using var client = await fixture.NewTenantAsync();
        var huge = new JsonObject { ["name"] = "x", ["description"] = new string('a', 2 * 1024 * 1024) };
        var response = await client.PostAsync("machineImages", huge);
        Assert.Equal(413, response.Code);
        Assert.Contains("larger", response.Json.Str("message"));
    }

    [Fact]
    public async Task Unknown_paths_get_404_pointing_to_the_entry_point()
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.GetAsync("/nowhere");
        Assert.Equal(404, response.Code);
        Assert.Contains("cloudEntryPoint", response.Json.Str("message"));
    }
}
