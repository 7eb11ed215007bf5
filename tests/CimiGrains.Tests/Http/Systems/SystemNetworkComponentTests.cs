using System.Text.Json.Nodes;
using CimiGrains.Tests.Binding;
using CimiGrains.Tests.Http.Networks;
using static CimiGrains.Tests.Http.Systems.SystemDocs;

namespace CimiGrains.Tests.Http.Systems;

/// <summary>
/// NetworkPort, Address and ForwardingGroup components (no host needed: the Network family stands without one): made
/// by value, by reference and by reference with overrides, on the System's own Networks ('#name') in dependency order,
/// shown in the System's collections, deleted with it while the templates and Networks it was only given stay; one that
/// is refused rolls back everything made before it; a template whose components name each other wrongly is a 400.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SystemNetworkComponentTests(GatewayFixture fixture)
{
    private static readonly string[] NetworkFamily = ["networks", "networkPorts", "addresses", "forwardingGroups"];

    private static async Task<int> CountAsync(CimiClient client, string collection) =>
        (await client.GetAsync(collection)).Json["count"]!.GetValue<int>();

    private static async Task<List<JsonObject>> MembersAsync(CimiClient client, JsonObject system, string collection, string array)
    {
        var listed = await client.GetAsync(system[collection].Str("href"));
        Assert.True(listed.Code == 200, listed.ToString());
        return [.. listed.Json[array]!.AsArray().Select(i => i!.AsObject())];
    }

    [Fact]
    public async Task Ports_addresses_and_a_group_are_made_on_the_Systems_own_Networks_and_go_with_it()
    {
        using var client = await fixture.NewTenantAsync();
        var given = await CimiDocs.Created(client, "networks", NetworkDocs.CreateByValue("10.77.0.0/24", "given"));
        var portTemplate = await CimiDocs.Created(client, "networkPortTemplates", new JsonObject
        {
            ["name"] = "trunk", ["network"] = Ref(given), ["networkPortConfig"] = new JsonObject { ["portType"] = "TRUNK" },
        });
        var addressTemplate = await CimiDocs.Created(client, "addressTemplates",
            new JsonObject { ["name"] = "fixed", ["network"] = Ref(given), ["ip"] = "10.77.0.9" });
        // By reference with an override: the stored port template's Network is replaced by the System's own.
        var trunk = Ref(portTemplate);
        trunk["network"] = Ref("#a");
        var template = await CimiDocs.Created(client, "systemTemplates", Template("routed",
            GroupComponent("fg", "a", "b"), PortComponent("p", "a", quantity: 2), NetworkComponent("a"), NetworkComponent("b"),
            Component("trunk", "NetworkPort", "networkPortTemplate", trunk), AddressComponent("vip", "b"),
            Component("fixed", "Address", "addressTemplate", Ref(addressTemplate)), NetworkInGroupComponent("c", "fg")));
        var xml = await client.GetAsync(template, "application/xml");
        Assert.True(xml.Code == 200, xml.ToString());
        CimiSchema.AssertValid(xml.Body);
        // An OVF round trip keeps them (by value: the stored port and address templates are written out).
        var export = await client.PostAsync(template, new JsonObject { ["action"] = CimiUris.Action("export") });
        Assert.True(export.Code == 200, export.ToString());
        var imported = await client.PostAsync("systemTemplates", new JsonObject { ["action"] = CimiUris.Action("import"), ["source"] = export.Header("Location")! });
        Assert.True(imported.Code == 201, imported.ToString());
        var back = imported.Json["componentDescriptors"]!.AsArray();
        Assert.Equal(["fg", "p", "a", "b", "trunk", "vip", "fixed", "c"], back.Select(c => c.Str("name")));
        Assert.Equal(("TRUNK", "#a"), (back[4]!["networkPortTemplate"]!["networkPortConfig"].Str("portType"), back[4]!["networkPortTemplate"]!["network"].Str("href")));
        Assert.Equal(("10.77.0.9", given), (back[6]!["addressTemplate"].Str("ip"), back[6]!["addressTemplate"]!["network"].Str("href")));
        Assert.Equal(200, (await client.DeleteAsync(imported.Header("Location")!)).Code);

        var created = await client.PostAsync("systems", Create(Ref(template)));
        Assert.True(created.Code == 202, created.ToString());
        var job = await client.WaitForJobAsync(created.JobUri(), TimeSpan.FromSeconds(60));
        Assert.True(job.Str("state") == "SUCCESS", job.ToJsonString());
        var system = (await client.GetAsync(created.Header("Location")!)).Json;

        var networks = (await MembersAsync(client, system, "networks", "systemNetworks"))
            .ToDictionary(i => i.Str("name"), i => i["network"].Str("href"));
        Assert.Equal(["a", "b", "c"], networks.Keys.Order());
        var ports = await MembersAsync(client, system, "networkPorts", "systemNetworkPorts");
        Assert.Equal(["p", "p", "trunk"], ports.Select(p => p.Str("name")).Order());
        foreach (var item in ports)
        {
            Assert.Equal("child", item["properties"]!["cimigrains.member"]!.GetValue<string>());
            var port = (await client.GetAsync(item["networkPort"].Str("href"))).Json;
            Assert.Equal(networks["a"], port["network"].Str("href"));
            Assert.Equal(item.Str("name") == "trunk" ? "TRUNK" : "ACCESS", port.Str("portType"));
        }
        Assert.Equal(["p-1", "p-2", "trunk"], (await Task.WhenAll(ports.Select(async p => (await client.GetAsync(p["networkPort"].Str("href"))).Json.Str("name")))).Order());
        var addresses = (await MembersAsync(client, system, "addresses", "systemAddresses"))
            .ToDictionary(i => i.Str("name"), i => i["address"].Str("href"));
        var vip = (await client.GetAsync(addresses["vip"])).Json;
        var fixedAddress = (await client.GetAsync(addresses["fixed"])).Json;
        Assert.Equal((networks["b"], "vip"), (vip["network"].Str("href"), vip.Str("hostname")));
        Assert.Equal((given, "10.77.0.9"), (fixedAddress["network"].Str("href"), fixedAddress.Str("ip")));
        var group = (await MembersAsync(client, system, "forwardingGroups", "systemForwardingGroups")).Single()["forwardingGroup"].Str("href");
        var joined = (await client.GetAsync(group)).Json["networks"]!.AsArray().Select(n => n.Str("href")).Order();
        Assert.Equal(new[] { networks["a"], networks["b"], networks["c"] }.Order(), joined);
        Assert.Equal(group, (await client.GetAsync(networks["c"])).Json["forwardingGroup"].Str("href"));

        var delete = await client.DeleteAsync(system.Str("id"));
        Assert.True(delete.Code == 202, delete.ToString());
        var deleted = await client.WaitForJobAsync(delete.JobUri(), TimeSpan.FromSeconds(60));
        Assert.True(deleted.Str("state") == "SUCCESS", deleted.ToJsonString());
        // What the System made is gone; the Network and templates it only named stay, the Network without the reservation.
        Assert.Equal([given], (await client.GetAsync("networks")).Json["networks"]!.AsArray().Select(n => n.Str("id")));
        foreach (var collection in new[] { "networkPorts", "addresses", "forwardingGroups", "systems" })
            Assert.Equal(0, await CountAsync(client, collection));
        Assert.Equal((1, 1), (await CountAsync(client, "networkPortTemplates"), await CountAsync(client, "addressTemplates")));
        Assert.Equal(200, (await client.DeleteAsync(given)).Code);
    }

    [Fact]
    public async Task A_component_refused_in_a_late_wave_rolls_back_the_ports_groups_and_Networks_made_before_it()
    {
        using var client = await fixture.NewTenantAsync();
        // Waves: a, b; p on a, fg of a and b; c in fg; the Address on c, outside c's subnet: refused by c.
        var created = await client.PostAsync("systems", Create(Template("late",
            NetworkComponent("a"), NetworkComponent("b"), PortComponent("p", "a"), GroupComponent("fg", "a", "b"),
            NetworkInGroupComponent("c", "fg"), AddressComponent("bad", "c", ip: "192.0.2.7"))));
        Assert.True(created.Code == 202, created.ToString());
        var job = await client.WaitForJobAsync(created.JobUri(), TimeSpan.FromSeconds(60));

        Assert.True(job.Str("state") == "FAILED", job.ToJsonString());
        Assert.Contains("Component 'bad' (Address) was refused: Static address", job.Str("statusMessage"));
        Assert.Contains("192.0.2.7", job.Str("statusMessage"));
        Assert.Contains("Everything the System had made was removed", job.Str("statusMessage"));
        await Eventually.Until(() => client.GetAsync(created.Header("Location")!), r => r.Json.Str("state") == "ERROR", "the System to settle in ERROR");
        foreach (var collection in NetworkFamily)
            Assert.True(await CountAsync(client, collection) == 0, $"{collection} left after the rollback: {(await client.GetAsync(collection)).Body}");
    }

    public static TheoryData<string, JsonObject, string> BadTemplates => new()
    {
        { "a cycle", Template("t", NetworkInGroupComponent("n", "fg"), GroupComponent("fg", "n")), "'n' → 'fg' → 'n' name each other in a cycle" },
        { "a port on a port", Template("t", NetworkComponent("net"), PortComponent("p", "net"), PortComponent("q", "p")),
            "'#p', a NetworkPort component; it must name a Network component" },
        { "a group of nothing", Template("t", NetworkComponent("net"), GroupComponent("fg", "net", "nowhere")), "no component named 'nowhere'" },
        { "a name where none may stand", Template("t", NetworkComponent("net"),
            Component("v", "Volume", "volumeTemplate", new JsonObject { ["volumeConfig"] = Ref("#net") })), "a component is named only at" },
        { "a shared port", Template("t", NetworkComponent("net"), PortComponent("p", "net"),
            Component("web", "Machine", "machineTemplate", new JsonObject
            {
                ["machineConfig"] = new JsonObject { ["cpu"] = 1, ["memory"] = 65536 },
                ["networkInterfaces"] = new JsonArray(new JsonObject { ["network"] = Ref("#net"), ["networkPort"] = Ref("#p") }),
            }, quantity: 2)), "a NetworkPort is used by one interface at a time" },
        { "a port template of another type", Template("t", Component("p", "NetworkPort", "addressTemplate", new JsonObject())),
            "needs a 'networkPortTemplate'" },
    };

    [Theory]
    [MemberData(nameof(BadTemplates))]
    public async Task A_template_whose_network_components_name_each_other_wrongly_is_a_400_and_nothing_is_made(string what, JsonObject template,
        string expected)
    {
        using var client = await fixture.NewTenantAsync();

        var stored = await client.PostAsync("systemTemplates", template.DeepClone());
        var created = await client.PostAsync("systems", Create((JsonObject)template.DeepClone()));

        Assert.True(stored.Code == 400 && stored.Body.Contains(expected, StringComparison.Ordinal), $"{what}: POST systemTemplates: {stored}");
        Assert.True(created.Code == 400 && created.Body.Contains(expected, StringComparison.Ordinal), $"{what}: POST systems: {created}");
        foreach (var collection in NetworkFamily.Concat(["systemTemplates", "systems", "jobs"]))
            Assert.Equal(0, await CountAsync(client, collection));
    }
}
