using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Binding;
using static CimiGrains.Tests.Http.Networks.NetworkDocs;

namespace CimiGrains.Tests.Http.Networks;

/// <summary>
/// The Network family over HTTP against a real gateway: a Network is created (201), started and stopped (200) when
/// answered; bad input is a 400 naming the attribute and leaves nothing; a Network with ports or reserved Addresses
/// is a 409 naming them; the collections query like every other, in JSON and in XML.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class NetworkApiTests(GatewayFixture fixture)
{
    private async Task<string> TemplateAsync(CimiClient client, string subnet = "10.42.0.0/24") =>
        await CimiDocs.Created(client, "networkTemplates", Template(await CimiDocs.Created(client, "networkConfigs", Configuration(subnet))));

    [Fact]
    public async Task A_create_answers_201_with_the_STARTED_Network_its_subnet_and_its_ports_collection()
    {
        using var client = await fixture.NewTenantAsync();

        var response = await client.PostAsync("networks", Create(Ref(await TemplateAsync(client)), "created"));

        Assert.True(response.Code == 201, response.ToString());
        var body = response.Json;
        Assert.Equal(response.Header("Location"), body.Str("id"));
        Assert.Equal(("http://schemas.dmtf.org/cimi/1/Network", "STARTED", "PRIVATE", "10.42.0.0/24"),
            (body.Str("resourceURI"), body.Str("state"), body.Str("networkType"), body.Str("subnet")));
        Assert.Equal(1450, body["mtu"]!.GetValue<int>());
        Assert.Null(body["gateway"]);
        GoldenFiles.VerifyJson("Created-Network", body);
        var ports = await client.GetAsync(body["networkPorts"].Str("href"));
        Assert.True(ports.Code == 200, ports.ToString());
        Assert.Equal(("http://schemas.dmtf.org/cimi/1/NetworkPortCollection", 0), (ports.Json.Str("resourceURI"), ports.Json["count"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_create_in_XML_by_value_answers_a_Network_document_the_schema_accepts()
    {
        using var client = await fixture.NewTenantAsync();

        var response = await client.SendAsync(HttpMethod.Post, "networks", $$"""
            <NetworkCreate xmlns="http://schemas.dmtf.org/cimi/1" xmlns:cg="{{CimiGrains.Gateway.Serialization.CimiNamespaces.Extensions}}">
              <name>public-one</name>
              <networkTemplate><networkConfig><networkType>PUBLIC</networkType><mtu>1400</mtu><cg:subnet>192.168.50.0/26</cg:subnet></networkConfig></networkTemplate>
            </NetworkCreate>
            """,
            "application/xml", "application/xml");

        Assert.True(response.Code == 201, response.ToString());
        CimiSchema.AssertValid(response.Body);
        var root = XDocument.Parse(response.Body).Root!;
        Assert.Equal(("PUBLIC", "1400"), (root.Element(XName.Get("networkType", CimiSchema.Namespace))!.Value,
            root.Element(XName.Get("mtu", CimiSchema.Namespace))!.Value));
        var extensions = CimiGrains.Gateway.Serialization.CimiNamespaces.Extensions;
        Assert.Equal(("192.168.50.0/26", "192.168.50.1"), (root.Element(XName.Get("subnet", extensions))!.Value, root.Element(XName.Get("gateway", extensions))!.Value));
    }

    public static TheoryData<string, string> BadCreates => new()
    {
        { """{"networkTemplate":{"networkConfig":{"mtu":575}}}""", "'mtu' must be 576 to 9000 bytes, not 575" },
        { """{"networkTemplate":{"networkConfig":{"mtu":9001}}}""", "'mtu' must be 576 to 9000 bytes, not 9001" },
        { """{"networkTemplate":{"networkConfig":{"subnet":"10.0.0.0/8"}}}""", "'subnet' '10.0.0.0/8' has a /8 prefix" },
        { """{"networkTemplate":{"networkConfig":{"subnet":"10.0.0.0/30"}}}""", "/30 prefix" },
        { """{"networkTemplate":{"networkConfig":{"subnet":"ten/24"}}}""", "'subnet' 'ten/24' is not an IPv4 CIDR subnet" },
        { """{"networkTemplate":{"networkConfig":{"networkType":"SHARED"}}}""", "'networkType' must be PUBLIC or PRIVATE, not 'SHARED'" },
        { """{"networkTemplate":{"networkConfig":{},"initialState":"PAUSED"}}""", "'initialState' must be STARTED or STOPPED" },
        { """{"networkTemplate":{}}""", "has no 'networkConfig'" },
        { """{"name":"x"}""", "needs a 'networkTemplate'" },
        { """{"networkTemplate":{"href":"networkTemplates/0123456789abcdef0123456789abcdef"}}""", "which does not exist" },
        { """{"networkTemplate":{"networkConfig":{},"forwardingGroup":{"href":"forwardingGroups/0123456789abcdef0123456789abcdef"}}}""", "which does not exist" },
        { """{"networkTemplate":{"networkConfig":{"mtu":"big"}}}""", "mtu" },
    };

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task A_bad_create_is_a_4xx_naming_the_problem_and_leaves_no_Network(string body, string expected)
    {
        using var client = await fixture.NewTenantAsync();

        var response = await client.SendAsync(HttpMethod.Post, "networks", body, "application/json");

        // An href that names nothing of the tenant's is a 404, like its id in the URL; the rest are 400s.
        Assert.True(response.Code == (expected == "which does not exist" ? 404 : 400), response.ToString());
        Assert.Contains(expected, response.Body);
        Assert.Equal(0, (await client.GetAsync("networks")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_bad_configuration_is_refused_as_its_own_resource_too()
    {
        using var client = await fixture.NewTenantAsync();
        var response = await client.PostAsync("networkConfigs", Configuration("10.1.2.3/24"));

        Assert.True(response.Code == 400, response.ToString());
        Assert.Contains("did you mean 10.1.2.0/24", response.Body);
        Assert.Equal(0, (await client.GetAsync("networkConfigs")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Stop_and_start_answer_200_with_the_Network_and_a_wrong_state_is_409()
    {
        using var client = await fixture.NewTenantAsync();
        var network = await CimiDocs.Created(client, "networks", CreateByValue("10.5.0.0/24"));

        var stopped = await client.PostAsync(network, CimiDocs.Action("stop"));
        Assert.True(stopped.Code == 200, stopped.ToString());
        Assert.Equal("STOPPED", stopped.Json.Str("state"));
        Assert.Contains(stopped.Json["operations"]!.AsArray(), o => o.Str("rel") == "http://schemas.dmtf.org/cimi/1/action/start");
        var again = await client.PostAsync(network, CimiDocs.Action("stop"));
        Assert.True(again.Code == 409 && again.Body.Contains("The Network is STOPPED; 'stop' is not allowed"), again.ToString());
        var unknown = await client.PostAsync(network, CimiDocs.Action("restart"));
        Assert.True(unknown.Code == 400 && unknown.Body.Contains("is not a Network action"), unknown.ToString());

        var started = await client.SendAsync(HttpMethod.Post, network,
            "<Action xmlns=\"http://schemas.dmtf.org/cimi/1\"><action>http://schemas.dmtf.org/cimi/1/action/start</action></Action>",
            "application/xml", "application/xml");
        Assert.True(started.Code == 200, started.ToString());
        CimiSchema.AssertValid(started.Body);
        Assert.Equal("STARTED", (await client.GetAsync(network)).Json.Str("state"));
    }

    [Fact]
    public async Task A_Network_with_a_port_or_a_reserved_Address_is_not_deleted_and_the_409_names_them()
    {
        using var client = await fixture.NewTenantAsync();
        var network = await CimiDocs.Created(client, "networks", CreateByValue("10.6.0.0/29"));
        var port = await CimiDocs.Created(client, "networkPorts", PortCreate(new JsonObject { ["network"] = Ref(network) }));
        var address = await CimiDocs.Created(client, "addresses", AddressCreate(new JsonObject { ["network"] = Ref(network), ["ip"] = "10.6.0.6" }));
        var addressDoc = (await client.GetAsync(address)).Json;
        Assert.Equal(("10.6.0.6", "255.255.255.248", "static", "IPv4"),
            (addressDoc.Str("ip"), addressDoc.Str("mask"), addressDoc.Str("allocation"), addressDoc.Str("protocol")));
        var taken = await client.PostAsync("addresses", AddressCreate(new JsonObject { ["network"] = Ref(network), ["ip"] = "10.6.0.6" }));
        Assert.True(taken.Code == 409 && taken.Body.Contains("is taken by Address"), taken.ToString());
        var outside = await client.PostAsync("addresses", AddressCreate(new JsonObject { ["network"] = Ref(network), ["ip"] = "10.6.0.9" }));
        Assert.True(outside.Code == 400 && outside.Body.Contains("outside the Network's subnet 10.6.0.0/29"), outside.ToString());
        var listed = await client.GetAsync(network + "/networkPorts");
        Assert.Equal(port, Assert.Single(listed.Json["networkPorts"]!.AsArray())!.Str("id"));

        var refused = await client.DeleteAsync(network);
        Assert.True(refused.Code == 409, refused.ToString());
        Assert.Contains(port[client.Cimi.Length..], refused.Body);
        Assert.Contains(address[client.Cimi.Length..], refused.Body);

        Assert.Equal(200, (await client.DeleteAsync(port)).Code);
        Assert.Equal(200, (await client.DeleteAsync(address)).Code);
        Assert.Equal(200, (await client.DeleteAsync(network)).Code);
        Assert.Equal(404, (await client.GetAsync(network)).Code);
    }

    [Fact]
    public async Task A_ForwardingGroup_of_overlapping_Networks_is_a_409_naming_both()
    {
        using var client = await fixture.NewTenantAsync();
        var a = await CimiDocs.Created(client, "networks", CreateByValue("10.7.0.0/16", "a"));
        var b = await CimiDocs.Created(client, "networks", CreateByValue("10.7.3.0/24", "b"));

        var refused = await client.PostAsync("forwardingGroups", GroupCreate(GroupOf(a, b)));

        Assert.True(refused.Code == 409, refused.ToString());
        Assert.Contains($"'{a[client.Cimi.Length..]}' (10.7.0.0/16)", refused.Body);
        Assert.Contains($"'{b[client.Cimi.Length..]}' (10.7.3.0/24)", refused.Body);
        Assert.Equal(0, (await client.GetAsync("forwardingGroups")).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Every_Network_family_collection_filters_pages_and_renders_valid_XML()
    {
        using var client = await fixture.NewTenantAsync();
        var made = await NetworkFamily.OneOfEachAsync(client);
        await client.PostAsync(made.Network, CimiDocs.Action("stop"));
        var second = await CimiDocs.Created(client, "networks", CreateByValue("10.8.0.0/24", "second"));

        var stopped = (await client.GetAsync("networks?$filter=state='STOPPED'")).Json;
        Assert.Equal(made.Network, Assert.Single(stopped["networks"]!.AsArray())!.Str("id"));
        var page = (await client.GetAsync("networks?$orderby=name&$first=2&$last=2&$select=name")).Json;
        Assert.Equal((2, "second"), (page["count"]!.GetValue<int>(), Assert.Single(page["networks"]!.AsArray())!.Str("name")));
        Assert.Null(page["networks"]![0]!["mtu"]);
        Assert.Equal(second, (await client.GetAsync("networks?$filter=name='second'")).Json["networks"]![0].Str("id"));
        var bad = await client.GetAsync("networks?$filter=colour='blue'");
        Assert.True(bad.Code == 400 && bad.Body.Contains("'colour'"), bad.ToString());

        foreach (var (collection, array) in new[]
        {
            ("networkConfigs", "networkConfigurations"), ("networkTemplates", "networkTemplates"), ("networkPorts", "networkPorts"),
            ("networkPortConfigs", "networkPortConfigurations"), ("networkPortTemplates", "networkPortTemplates"), ("addresses", "addresses"),
            ("addressTemplates", "addressTemplates"), ("forwardingGroups", "forwardingGroups"), ("forwardingGroupTemplates", "forwardingGroupTemplates"),
        })
        {
            var list = (await client.GetAsync($"{collection}?$filter=created>'2000-01-01T00:00:00Z'&$first=1&$last=1")).Json;
            Assert.True(list["count"]!.GetValue<int>() == 1 && list[array]!.AsArray().Count == 1, $"{collection}: {list.ToJsonString()}");
            var xml = await client.GetAsync(collection, "application/xml");
            Assert.True(xml.Code == 200, xml.ToString());
            CimiSchema.AssertValid(xml.Body);
        }
        var group = (await client.GetAsync(made.Group)).Json;
        Assert.Equal(made.Network, Assert.Single(group["networks"]!.AsArray())!.Str("href"));
    }

    [Fact]
    public async Task Names_and_descriptions_are_updated_and_provider_attributes_are_not()
    {
        using var client = await fixture.NewTenantAsync();
        var network = await CimiDocs.Created(client, "networks", CreateByValue("10.9.0.0/24"));

        var renamed = await client.PutAsync(network + "?$select=name", new JsonObject { ["name"] = "renamed" });
        Assert.True(renamed.Code == 200 && renamed.Json.Str("name") == "renamed", renamed.ToString());
        var provider = await client.PutAsync(network + "?$select=mtu", new JsonObject { ["mtu"] = 1400 });
        Assert.True(provider.Code == 400, provider.ToString());
        Assert.Equal(1450, (await client.GetAsync(network)).Json["mtu"]!.GetValue<int>());
    }
}
