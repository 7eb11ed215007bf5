using System.Text.Json.Nodes;
using CimiGrains.Tests.Binding;
using static CimiGrains.Tests.Http.Systems.SystemDocs;

namespace CimiGrains.Tests.Http.Systems;

/// <summary>
/// Systems over HTTP against a gateway with no host (so Networks and Credentials stand, and any Machine or Volume
/// fails for lack of one): a template is checked whole before anything is made (400 naming the fault, nothing
/// stored); a create answers 202 with a parent Job and ends with its members listed; a component that fails rolls
/// everything back (System ERROR, its Job naming the component); delete removes what the System made and leaves
/// what it was given; another tenant's System or member is 404.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SystemApiTests(GatewayFixture fixture)
{
    private static async Task<int> CountAsync(CimiClient client, string collection) =>
        (await client.GetAsync(collection)).Json["count"]!.GetValue<int>();

    private static async Task<(string Id, JsonObject Job)> CreateAsync(CimiClient client, JsonObject template)
    {
        var response = await client.PostAsync("systems", Create(template));
        Assert.True(response.Code == 202, $"POST systems: {response}");
        Assert.Equal("CREATING", response.Json.Str("state"));
        var job = await client.WaitForJobAsync(response.JobUri(), TimeSpan.FromSeconds(60));
        return (response.Header("Location")!, job);
    }

    [Fact]
    public async Task A_System_of_Networks_and_a_Credential_is_created_with_a_parent_Job_and_lists_its_members()
    {
        using var client = await fixture.NewTenantAsync();
        var (id, job) = await CreateAsync(client, Template("nets", NetworkComponent("net", quantity: 2), CredentialComponent()));

        Assert.True(job.Str("state") == "SUCCESS", job.ToJsonString());
        var system = (await client.GetAsync(id)).Json;
        // No Machine: DSP0263 calls that MIXED.
        Assert.Equal(("MIXED", "spread"), (system.Str("state"), system.Str("placementPolicy")));
        var networks = await client.GetAsync(system["networks"].Str("href"));
        Assert.True(networks.Code == 200, networks.ToString());
        Assert.Equal(("http://schemas.dmtf.org/cimi/1/SystemNetworkCollection", 2), (networks.Json.Str("resourceURI"), networks.Json["count"]!.GetValue<int>()));
        var items = networks.Json["systemNetworks"]!.AsArray();
        Assert.Equal(["net", "net"], items.Select(i => i.Str("name")));
        var names = new List<string>();
        foreach (var item in items)
        {
            Assert.Equal("child", item!["properties"]!["cimigrains.member"]!.GetValue<string>());
            var network = await client.GetAsync(item["network"].Str("href"));
            Assert.True(network.Code == 200 && network.Json.Str("state") == "STARTED", network.ToString());
            names.Add(network.Json.Str("name"));
            var one = await client.GetAsync(item.Str("id"));
            Assert.True(one.Code == 200 && one.Json.Str("resourceURI") == "http://schemas.dmtf.org/cimi/1/SystemNetwork", one.ToString());
        }
        Assert.Equal(["net-1", "net-2"], names.Order());
        var credentials = await client.GetAsync(system["credentials"].Str("href"), "application/xml");
        Assert.True(credentials.Code == 200, credentials.ToString());
        CimiSchema.AssertValid(credentials.Body);
        Assert.Equal(2, await CountAsync(client, "networks"));
        Assert.Equal(1, await CountAsync(client, "credentials"));
        // The parent Job lists no nested Job for what was made at once (Networks, Credentials are not Jobs' work).
        Assert.Equal("add", job.Str("action"));
    }

    [Fact]
    public async Task A_component_that_fails_rolls_the_whole_System_back_and_its_Job_names_the_component()
    {
        using var client = await fixture.NewTenantAsync();
        // No host is connected: the Machine fails; the Network made before it must go again.
        var (id, job) = await CreateAsync(client, Template("web", NetworkComponent("net"), MachineComponent("web", 2, network: "net")));

        Assert.Equal("FAILED", job.Str("state"));
        Assert.Contains("Component 'web' (Machine", job.Str("statusMessage"));
        Assert.Contains("Everything the System had made was removed", job.Str("statusMessage"));
        Assert.True(job["nestedJobs"]!.AsArray().Count >= 2, job.ToJsonString());
        var system = await Eventually.Until(() => client.GetAsync(id), r => r.Json.Str("state") == "ERROR", "the System to settle in ERROR");
        Assert.DoesNotContain(CimiUris.Action("start"), system.Json.Rels());
        await Eventually.Until(() => CountAsync(client, "networks"), n => n == 0, "the System's Network to be removed");
        Assert.Equal(0, await CountAsync(client, "machines"));

        var delete = await client.DeleteAsync(id);
        Assert.True(delete.Code == 202, delete.ToString());
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(delete.JobUri())).Str("state"));
        Assert.Equal(404, (await client.GetAsync(id)).Code);
    }

    [Fact]
    public async Task Delete_removes_what_the_System_made_and_leaves_what_it_was_given()
    {
        using var client = await fixture.NewTenantAsync();
        var (id, _) = await CreateAsync(client, Template("one", NetworkComponent("net")));
        var given = await CimiDocs.Created(client, "networks", Networks.NetworkDocs.CreateByValue("10.77.0.0/24", "given"));

        var system = (await client.GetAsync(id)).Json;
        var added = await client.PostAsync(system["networks"].Str("href"), new JsonObject { ["network"] = Ref(given) });
        Assert.True(added.Code == 201, added.ToString());
        Assert.Equal("associated", added.Json["properties"]!["cimigrains.member"]!.GetValue<string>());
        var twice = await client.PostAsync(system["networks"].Str("href"), new JsonObject { ["network"] = Ref(given) });
        Assert.Equal(409, twice.Code);
        Assert.Equal(2, (await client.GetAsync(system["networks"].Str("href"))).Json["count"]!.GetValue<int>());

        var delete = await client.DeleteAsync(id);
        Assert.True(delete.Code == 202, delete.ToString());
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(delete.JobUri())).Str("state"));
        Assert.Equal(404, (await client.GetAsync(id)).Code);
        var left = (await client.GetAsync("networks")).Json["networks"]!.AsArray();
        Assert.Equal([given], left.Select(n => n.Str("id")));
    }

    public static TheoryData<string, JsonObject, string> BadTemplates => new()
    {
        { "quantity 0", Template("t", NetworkComponent("net", quantity: 0)), "'quantity' is 0" },
        { "quantity huge", Template("t", NetworkComponent("net", quantity: 100000)), "'quantity' is 100000" },
        { "too many resources", Template("t", NetworkComponent("a", quantity: 600), NetworkComponent("b", quantity: 600)), "more than 1000 resources" },
        { "unknown type", Template("t", Component("x", "Meter", "networkTemplate", new JsonObject())), "'type' is 'http://schemas.dmtf.org/cimi/1/Meter'" },
        { "template of another type", Template("t", Component("x", "Network", "volumeTemplate", new JsonObject())), "needs a 'networkTemplate'" },
        { "no name", Template("t", Component("", "Network", "networkTemplate", new JsonObject())), ".name' must be 1 to 64" },
        { "same name twice", Template("t", NetworkComponent("net"), NetworkComponent("net")), "same name" },
        { "dangling component", Template("t", MachineComponent("web", network: "nowhere")), "no component named 'nowhere'" },
        { "component of the wrong type", Template("t", CredentialComponent("c"), MachineComponent("web", network: "c")), "must name a Network component" },
        { "quantities that do not pair", Template("t", NetworkComponent("net", quantity: 2), MachineComponent("web", 3, network: "net")), "quantity 1 (shared) or the same" },
        { "dangling href", Template("t", Component("web", "Machine", "machineTemplate", Ref("machineTemplates/0123456789abcdef0123456789abcdef"))),
            "references 'machineTemplates/0123456789abcdef0123456789abcdef', which does not exist" },
        { "bad placement", new JsonObject { ["name"] = "t", ["placementPolicy"] = "everywhere", ["componentDescriptors"] = new JsonArray() }, "placementPolicy" },
    };

    [Theory]
    [MemberData(nameof(BadTemplates))]
    public async Task A_bad_template_is_a_4xx_naming_the_fault_and_nothing_is_made(string what, JsonObject template, string expected)
    {
        using var client = await fixture.NewTenantAsync();
        // An href that names nothing of the tenant's is a 404, like its id in the URL; the rest are 400s.
        var code = expected.EndsWith("which does not exist", StringComparison.Ordinal) ? 404 : 400;

        var stored = await client.PostAsync("systemTemplates", template.DeepClone());
        var created = await client.PostAsync("systems", Create((JsonObject)template.DeepClone()));

        Assert.True(stored.Code == code && stored.Body.Contains(expected, StringComparison.Ordinal), $"{what}: POST systemTemplates: {stored}");
        Assert.True(created.Code == code && created.Body.Contains(expected, StringComparison.Ordinal), $"{what}: POST systems: {created}");
        foreach (var collection in new[] { "systemTemplates", "systems", "networks", "credentials", "machines", "jobs" })
            Assert.Equal(0, await CountAsync(client, collection));
    }

    [Fact]
    public async Task Nested_templates_that_contain_each_other_are_a_400_and_a_nested_System_is_made_inside_its_parent()
    {
        using var client = await fixture.NewTenantAsync();
        var inner = await CimiDocs.Created(client, "systemTemplates", Template("inner", NetworkComponent("net")));
        var outer = await CimiDocs.Created(client, "systemTemplates",
            Template("outer", Component("inner", "System", "systemTemplate", Ref(inner)), CredentialComponent()));

        // A password in a component is write-only, as in a CredentialTemplate.
        Assert.DoesNotContain("s3cret-pass", (await client.GetAsync(outer)).Body);
        Assert.DoesNotContain("s3cret-pass", (await client.GetAsync(outer, "application/xml")).Body);
        // inner → outer → inner
        var cycle = await client.PutAsync(inner, Template("inner", Component("outer", "System", "systemTemplate", Ref(outer))));
        Assert.True(cycle.Code == 400 && cycle.Body.Contains("contains itself", StringComparison.Ordinal), cycle.ToString());

        var (id, job) = await CreateAsync(client, Ref(outer));
        Assert.True(job.Str("state") == "SUCCESS", job.ToJsonString());
        var system = (await client.GetAsync(id)).Json;
        Assert.Equal(outer, system["systemTemplate"].Str("href"));
        var nested = (await client.GetAsync(system["systems"].Str("href"))).Json["systemSystems"]!.AsArray().Single();
        var child = (await client.GetAsync(nested!["system"].Str("href"))).Json;
        Assert.Equal(1, (await client.GetAsync(child["networks"].Str("href"))).Json["count"]!.GetValue<int>());
        Assert.Equal(2, await CountAsync(client, "systems"));

        var delete = await client.DeleteAsync(id);
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(delete.JobUri(), TimeSpan.FromSeconds(60))).Str("state"));
        foreach (var collection in new[] { "systems", "networks", "credentials" })
            Assert.Equal(0, await CountAsync(client, collection));
    }

    [Fact]
    public async Task Another_tenants_System_template_and_members_are_404()
    {
        using var owner = await fixture.NewTenantAsync();
        using var other = await fixture.NewTenantAsync();
        var (id, _) = await CreateAsync(owner, Template("one", NetworkComponent("net")));
        var template = await CimiDocs.Created(owner, "systemTemplates", Template("mine", NetworkComponent("net")));
        var network = await CimiDocs.Created(owner, "networks", Networks.NetworkDocs.CreateByValue("10.78.0.0/24", "mine"));
        var mine = (await owner.GetAsync(id)).Json;

        Assert.Equal(404, (await other.GetAsync(id)).Code);
        Assert.Equal(404, (await other.GetAsync(mine["networks"].Str("href"))).Code);
        Assert.Equal(404, (await other.DeleteAsync(id)).Code);
        Assert.Equal(404, (await other.PostAsync(id, CimiDocs.Action("stop"))).Code);
        // Another tenant's template by reference, or its resources named inside a template, are as dangling as nothing.
        var byRef = await other.PostAsync("systems", Create(Ref(template)));
        Assert.True(byRef.Code == 404 && byRef.Body.Contains("does not exist", StringComparison.Ordinal), byRef.ToString());
        var (theirs, _) = await CreateAsync(other, Template("theirs", NetworkComponent("net")));
        var theirsDoc = (await other.GetAsync(theirs)).Json;
        var steal = await other.PostAsync(theirsDoc["networks"].Str("href"), new JsonObject { ["network"] = Ref(network) });
        Assert.Equal(404, steal.Code);
        Assert.Equal(1, await CountAsync(owner, "systems"));
    }

    [Fact]
    public async Task A_Systems_export_is_its_current_shape_and_imports_as_a_SystemTemplate()
    {
        using var client = await fixture.NewTenantAsync();
        var (id, _) = await CreateAsync(client, Template("shape", NetworkComponent("net", quantity: 2)));
        var given = await CimiDocs.Created(client, "networks", Networks.NetworkDocs.CreateByValue("10.79.0.0/24", "given"));
        var system = (await client.GetAsync(id)).Json;
        Assert.Equal(201, (await client.PostAsync(system["networks"].Str("href"), new JsonObject { ["network"] = Ref(given) })).Code);
        Assert.Contains(CimiUris.Action("export"), system.Rels());

        var export = await client.PostAsync(id, new JsonObject { ["action"] = CimiUris.Action("export") });
        Assert.True(export.Code == 200, export.ToString());
        var location = export.Header("Location")!;
        Assert.EndsWith("/ovf", location);
        var envelope = await client.GetAsync(location, "application/ovf+xml");
        Assert.True(envelope.Code == 200 && envelope.Body.Contains("Envelope", StringComparison.Ordinal), envelope.ToString());
        var badFormat = await client.PostAsync(id, new JsonObject { ["action"] = CimiUris.Action("export"), ["format"] = "application/zip" });
        Assert.Equal(400, badFormat.Code);

        var imported = await client.PostAsync("systemTemplates", new JsonObject { ["action"] = CimiUris.Action("import"), ["source"] = location });
        Assert.True(imported.Code == 201, imported.ToString());
        var components = imported.Json["componentDescriptors"]!.AsArray();
        Assert.Equal(2, components.Count);
        Assert.Equal(("net", 2), (components[0].Str("name"), components[0]!["quantity"]!.GetValue<int>()));
        Assert.Equal("http://schemas.dmtf.org/cimi/1/Network", components[1].Str("type"));
        using var other = await fixture.NewTenantAsync();
        Assert.Equal(404, (await other.GetAsync(location, "application/ovf+xml")).Code);
    }
}
