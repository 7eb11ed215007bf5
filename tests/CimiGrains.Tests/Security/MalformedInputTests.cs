using System.Text;
using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Security;

/// <summary>
/// Issue 9, findings 1, 3 and 4: malformed bodies and parameters get a 400 that names the problem
/// (and the attribute), never a 500 or a crash, and nothing is written: the resource read by id and
/// the collection (the read model) still agree.
/// </summary>
[Collection(MalformedInputCollection.Name)]
public sealed class MalformedInputTests(MalformedInputFixture fixture)
{
    private const string Cimi = "http://schemas.dmtf.org/cimi/1";

    private static string NestedXml(string root, int depth, string before = "<name>x</name>") =>
        $"<{root} xmlns=\"{Cimi}\">{before}" + string.Concat(Enumerable.Repeat("<a>", depth)) + "x"
        + string.Concat(Enumerable.Repeat("</a>", depth)) + $"</{root}>";

    private static string NestedJson(int depth) =>
        "{\"name\":\"x\",\"cpu\":1,\"memory\":65536,\"extra\":" + new string('[', depth) + new string(']', depth) + "}";

    // Finding 1: a deep XML document overflowed the stack of CimiXmlReader and aborted the process.
    [Fact]
    public async Task Deeply_nested_xml_gets_400_naming_the_limit_and_the_gateway_lives_on()
    {
        using var client = await fixture.NewTenantAsync();
        var id = await CimiDocs.Created(client, "credentialTemplates", new JsonObject { ["name"] = "before", ["userName"] = "root" });

        var put = await client.SendAsync(HttpMethod.Put, id, NestedXml("CredentialTemplate", 10_000), "application/xml");
        Assert.True(put.Code == 400, put.ToString());
        Assert.Contains("deeper than 32 levels", put.Json.Str("message"));
        var post = await client.SendAsync(HttpMethod.Post, "credentialTemplates", NestedXml("CredentialTemplate", 20_000), "application/xml");
        Assert.True(post.Code == 400, post.ToString());
        Assert.Contains("deeper than 32 levels", post.Json.Str("message"));
        var shallow = await client.SendAsync(HttpMethod.Post, "credentialTemplates", NestedXml("CredentialTemplate", 40), "application/xml");
        Assert.True(shallow.Code == 400, shallow.ToString());
        Assert.Contains("deeper than 32 levels", shallow.Json.Str("message"));

        Assert.False(fixture.Gateway.HasExited, "the gateway process died");
        Assert.Equal("before", (await client.GetAsync(id)).Json.Str("name"));
        Assert.Equal(1, (await client.GetAsync("credentialTemplates")).Json["count"]!.GetValue<int>());
    }

    // Finding 1: JSON nesting of 32+ levels was a 500 "CurrentDepth (32)".
    [Theory]
    [InlineData(33)]
    [InlineData(10_000)]
    public async Task Deeply_nested_json_gets_400_naming_the_limit(int depth)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.SendAsync(HttpMethod.Post, "machineConfigs", NestedJson(depth), "application/json");
        Assert.True(response.Code == 400, response.ToString());
        Assert.Contains("deeper than 32 levels", response.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync("machineConfigs")).Json["count"]!.GetValue<int>());
    }

    // Finding 3: a NUL in a name was stored in the grain, then the read model refused it: a 500 after a
    // durable write, GET by id and the collection disagreeing.
    [Fact]
    public async Task A_nul_in_a_name_gets_400_and_neither_put_nor_post_writes_anything()
    {
        using var client = await fixture.NewTenantAsync();
        var id = await CimiDocs.Created(client, "machineConfigs", new JsonObject { ["name"] = "before", ["cpu"] = 1, ["memory"] = 65536 });
        const string body = "{\"name\":\"a\\u0000b\",\"cpu\":1,\"memory\":65536}";

        var put = await client.SendAsync(HttpMethod.Put, id, body, "application/json");
        Assert.True(put.Code == 400, put.ToString());
        Assert.Contains("'name'", put.Json.Str("message"));
        Assert.Contains("U+0000", put.Json.Str("message"));
        var post = await client.SendAsync(HttpMethod.Post, "machineConfigs", body, "application/json");
        Assert.True(post.Code == 400, post.ToString());

        Assert.Equal("before", (await client.GetAsync(id)).Json.Str("name"));
        var collection = (await client.GetAsync("machineConfigs")).Json;
        Assert.Equal(1, collection["count"]!.GetValue<int>());
        Assert.Equal("before", collection["machineConfigurations"]![0].Str("name"));
    }

    public static TheoryData<string, string, string[]> BadJsonBodies => new()
    {
        { "duplicate key", "{\"name\":\"a\",\"name\":\"b\",\"cpu\":1,\"memory\":65536}", ["'name'", "more than once"] },
        { "duplicate key in a map", "{\"cpu\":1,\"memory\":65536,\"properties\":{\"k\":\"a\",\"k\":\"b\"}}", ["'properties.k'", "more than once"] },
        { "lone surrogate", "{\"name\":\"\\ud800\",\"cpu\":1,\"memory\":65536}", ["'name'", "surrogate"] },
        { "lone low surrogate in a property", "{\"cpu\":1,\"memory\":65536,\"properties\":{\"k\":\"x\\udc00\"}}", ["'properties.k'", "surrogate"] },
        { "NUL in a property key", "{\"cpu\":1,\"memory\":65536,\"properties\":{\"a\\u0000\":\"x\"}}", ["'properties", "U+0000"] },
        { "control character", "{\"name\":\"a\\u0001\",\"cpu\":1,\"memory\":65536}", ["'name'", "U+0001"] },
        { "noncharacter", "{\"name\":\"a\\uffff\",\"cpu\":1,\"memory\":65536}", ["'name'", "U+FFFF"] },
    };

    // Finding 4: each of these was a 500.
    [Theory]
    [MemberData(nameof(BadJsonBodies))]
    public async Task Bad_text_in_a_json_body_gets_400_naming_the_problem_and_the_attribute(string problem, string body, string[] expected)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.SendAsync(HttpMethod.Post, "machineConfigs", body, "application/json");
        Assert.True(response.Code == 400, $"{problem}: {response}");
        foreach (var e in expected) Assert.Contains(e, response.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync("machineConfigs")).Json["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/xml")]
    public async Task Invalid_utf8_in_a_body_gets_400_naming_it(string contentType)
    {
        using var client = await fixture.NewTenantAsync();
        var (prefix, suffix) = contentType == "application/json"
            ? ("{\"name\":\"a", "b\",\"cpu\":1,\"memory\":65536}")
            : ($"<MachineConfiguration xmlns=\"{Cimi}\"><name>a", "b</name><cpu>1</cpu><memory>65536</memory></MachineConfiguration>");
        byte[] body = [.. Encoding.UTF8.GetBytes(prefix), 0xC0, 0xAF, .. Encoding.UTF8.GetBytes(suffix)];
        var response = await fixture.SendRawAsync(client.User, Tenants.Password, HttpMethod.Post, "machineConfigs", body, contentType);
        Assert.True(response.Code == 400, response.ToString());
        Assert.Contains("UTF-8", response.Json.Str("message"));
        Assert.Contains("name", response.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync("machineConfigs")).Json["count"]!.GetValue<int>());
    }

    // Finding 4: &#x1; and &#xFFFF; were a 500 with an empty body (the error message quoted the character).
    [Theory]
    [InlineData("&#x1;", "application/json")]
    [InlineData("&#x1;", "application/xml")]
    [InlineData("&#xFFFF;", "application/json")]
    [InlineData("&#xFFFF;", "application/xml")]
    [InlineData("&#xD800;", "application/xml")]
    public async Task Xml_with_characters_xml_forbids_gets_400_with_a_readable_message(string reference, string accept)
    {
        using var client = await fixture.NewTenantAsync();
        var body = $"<MachineConfiguration xmlns=\"{Cimi}\"><name>a{reference}b</name><cpu>1</cpu><memory>65536</memory></MachineConfiguration>";
        var response = await client.SendAsync(HttpMethod.Post, "machineConfigs", body, "application/xml", accept);
        Assert.True(response.Code == 400, response.ToString());
        var message = RawHttp.Message(response);
        Assert.Contains("character", message);
        Assert.Contains("name", message);
        Assert.Equal(0, (await client.GetAsync("machineConfigs")).Json["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("name='%00'")]
    [InlineData("name='a%01b'")]
    [InlineData("property['%00']='x'")]
    public async Task A_filter_with_a_control_character_gets_400_naming_the_parameter(string filter)
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.GetAsync("machineConfigs?$filter=" + filter);
        Assert.True(response.Code == 400, response.ToString());
        Assert.Contains("$filter", response.Json.Str("message"));
        Assert.Contains("U+00", response.Json.Str("message"));
    }

    // Finding 4: an XML body to /admin/* was a 500 (no CIMI type describes the operator documents).
    [Theory]
    [InlineData("/admin/tenants", "<TenantCreate><id>x1</id><user>u</user><password>password-1</password></TenantCreate>", "application/xml")]
    [InlineData("/admin/tenants", "id=x1&user=u", "application/x-www-form-urlencoded")]
    [InlineData("/admin/tenants/{tenant}/users", "<UserCreate><user>u2</user><password>password-2</password></UserCreate>", "text/xml")]
    public async Task A_non_json_body_to_the_operator_api_gets_415(string path, string body, string contentType)
    {
        using var tenant = await fixture.NewTenantAsync();
        using var admin = fixture.Gateway.Admin();
        var response = await admin.SendAsync(HttpMethod.Post, path.Replace("{tenant}", tenant.User[..^5]), body, contentType);
        Assert.True(response.Code == 415, response.ToString());
        Assert.Contains("application/json", response.Json.Str("message"));
    }

    // The rule must not reject what CIMI text may hold: escapes, references, line breaks, emoji.
    [Fact]
    public async Task Text_the_rule_allows_is_stored_and_read_back_as_sent()
    {
        using var client = await fixture.NewTenantAsync();
        var xml = $"<MachineConfiguration xmlns=\"{Cimi}\"><name>a &amp; b &lt;c&gt; &#x41;\U0001F600</name>"
            + "<description>line 1&#xA;\tline 2</description><cpu>1</cpu><memory>65536</memory></MachineConfiguration>";
        var fromXml = await client.SendAsync(HttpMethod.Post, "machineConfigs", xml, "application/xml");
        Assert.True(fromXml.Code == 201, fromXml.ToString());
        Assert.Equal("a & b <c> A\U0001F600", fromXml.Json.Str("name"));
        Assert.Equal("line 1\n\tline 2", fromXml.Json.Str("description"));
        var fromJson = await client.SendAsync(HttpMethod.Post, "machineConfigs",
            "{\"name\":\"\\ud83d\\ude00 \\u00e9\",\"description\":\"a\\r\\nb\",\"cpu\":1,\"memory\":65536,\"properties\":{\"k\\u00e9\":\"v\"}}",
            "application/json; charset=utf-8");
        Assert.True(fromJson.Code == 201, fromJson.ToString());
        Assert.Equal("\U0001F600 \u00e9", (await client.GetAsync(fromJson.Json.Str("id"))).Json.Str("name"));
        Assert.Equal(2, (await client.GetAsync("machineConfigs?$filter=" + Uri.EscapeDataString("name!='\u00e9'"))).Json["count"]!.GetValue<int>());
    }

    // Found by the fuzz test: the 406 for an unacceptable Accept came after the write it answered.
    [Fact]
    public async Task An_unacceptable_accept_header_gets_406_before_anything_is_written()
    {
        using var client = await fixture.NewTenantAsync();
        var id = await CimiDocs.Created(client, "machineConfigs", new JsonObject { ["name"] = "before", ["cpu"] = 1, ["memory"] = 65536 });
        var put = await client.SendAsync(HttpMethod.Put, id, "{\"name\":\"after\",\"cpu\":1,\"memory\":65536}", "application/json", "text/html");
        Assert.True(put.Code == 406, put.ToString());
        var post = await client.SendAsync(HttpMethod.Post, "machineConfigs", "{\"name\":\"new\",\"cpu\":1,\"memory\":65536}", "application/json", "text/html");
        Assert.True(post.Code == 406, post.ToString());
        Assert.Equal("before", (await client.GetAsync(id)).Json.Str("name"));
        Assert.Equal(1, (await client.GetAsync("machineConfigs")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_bad_value_deep_inside_a_machine_create_gets_400_and_creates_nothing()
    {
        using var client = await fixture.NewTenantAsync();
        var body = new JsonObject
        {
            ["name"] = "m",
            ["machineTemplate"] = new JsonObject
            {
                ["machineConfig"] = new JsonObject { ["cpu"] = 1, ["memory"] = 65536, ["cpuArch"] = "x86\u0000" },
                ["machineImage"] = new JsonObject { ["imageLocation"] = "docker:cimigrains/demo:latest" },
            },
        };
        var response = await client.PostAsync("machines", body);
        Assert.True(response.Code == 400, response.ToString());
        Assert.Contains("'machineTemplate.machineConfig.cpuArch'", response.Json.Str("message"));
        Assert.Equal(0, (await client.GetAsync("machines")).Json["count"]!.GetValue<int>());
        Assert.Equal(0, (await client.GetAsync("jobs")).Json["count"]!.GetValue<int>());
    }
}
