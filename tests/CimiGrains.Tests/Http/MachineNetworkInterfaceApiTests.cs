using System.Text.Json.Nodes;
using System.Xml.Linq;
using CimiGrains.Tests.Binding;

namespace CimiGrains.Tests.Http;

/// <summary>A Machine's networkInterfaces over HTTP, with no host agent connected (the Machine is in ERROR and has
/// no host, so an attach is recorded at once): the documents (JSON and XML, valid against DSP8009), 202 with a Job
/// and a Location, detaching, MachineCreate networkInterfaces, and bad requests.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MachineNetworkInterfaceApiTests(GatewayFixture fixture)
{
    private const string Xml = "application/xml";

    public static JsonObject NetworkCreate(string subnet) => new()
    {
        ["name"] = "net",
        ["networkTemplate"] = new JsonObject { ["networkConfig"] = new JsonObject { ["subnet"] = subnet } },
    };

    public static JsonObject Interface(string networkHref, string? ip = null)
    {
        var body = new JsonObject
        {
            ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/MachineNetworkInterface",
            ["network"] = new JsonObject { ["href"] = networkHref },
        };
        if (ip is not null) body["properties"] = new JsonObject { ["cimigrains.address"] = ip };
        return body;
    }

    [Fact]
    public async Task Attach_answers_202_with_a_Job_and_the_interface_lists_its_address_in_JSON_and_XML_then_detach_frees_it()
    {
        using var client = await fixture.NewTenantAsync();
        var tenant = client.User[..^"-user".Length];
        var network = await CimiDocs.Created(client, "networks", NetworkCreate("10.77.0.0/24"));
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);
        Assert.Equal(machineUri + "/networkInterfaces", (await client.GetAsync(machineUri)).Json["networkInterfaces"].Str("href"));

        var attached = await client.PostAsync(machineUri + "/networkInterfaces", Interface(network, "10.77.0.20"));

        Assert.True(attached.Code == 202, attached.ToString());
        var nicUri = attached.Header("Location")!;
        Assert.Equal(nicUri, attached.Json.Str("id"));
        Assert.StartsWith(machineUri + "/networkInterfaces/", nicUri);
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(attached.Header("CIMI-Job-URI")!)).Str("state"));
        var nic = (await client.GetAsync(nicUri)).Json;
        Assert.Equal(("ACTIVE", network, 1450, "PRIVATE"), (nic.Str("state"), nic["network"].Str("href"), nic["mtu"]!.GetValue<int>(), nic.Str("networkType")));
        Assert.Matches("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", nic.Str("macAddress"));
        Assert.Contains(nic["operations"]!.AsArray(), o => o.Str("rel") == "delete" && o.Str("href") == nicUri);

        var addresses = (await client.GetAsync(nicUri + "/addresses")).Json;
        Assert.Equal("http://schemas.dmtf.org/cimi/1/MachineNetworkInterfaceAddressCollection", addresses.Str("resourceURI"));
        var address = addresses["machineNetworkInterfaceAddresses"]![0]!["address"].Str("href");
        Assert.Equal("10.77.0.20", (await client.GetAsync(address)).Json.Str("ip"));
        var addressItem = addresses["machineNetworkInterfaceAddresses"]![0].Str("id");
        var addressDocument = await client.GetAsync(addressItem);
        Assert.True(addressDocument.Code == 200, addressDocument.ToString());
        GoldenFiles.VerifyJson("MachineNetworkInterfaceAddress", JsonNode.Parse(addressDocument.Body.Replace(tenant, "{tenant}", StringComparison.Ordinal))!);
        GoldenFiles.VerifyXml("MachineNetworkInterfaceAddress",
            XDocument.Parse((await client.GetAsync(addressItem, Xml)).Body).ToString().Replace(tenant, "{tenant}", StringComparison.Ordinal));

        var collection = await client.GetAsync(machineUri + "/networkInterfaces");
        Assert.Equal(1, collection.Json["count"]!.GetValue<int>());
        Assert.Contains(collection.Json["operations"]!.AsArray(), o => o.Str("rel") == "add");
        foreach (var url in new[] { machineUri + "/networkInterfaces", nicUri, nicUri + "/addresses", addressItem })
            CimiSchema.AssertValid((await client.GetAsync(url, Xml)).Body);
        var xml = XDocument.Parse((await client.GetAsync(nicUri, Xml)).Body);
        Assert.Equal(["id", "created", "updated", "property", "property", "addresses", "network", "networkPort", "state", "mtu", "operation", "macAddress", "networkType"],
            xml.Root!.Elements().Select(e => e.Name.LocalName));
        GoldenFiles.VerifyJson("MachineNetworkInterface", JsonNode.Parse(Anonymized(nic.ToJsonString(), tenant, nic.Str("macAddress")))!);
        GoldenFiles.VerifyXml("MachineNetworkInterface", Anonymized(xml.ToString(), tenant, nic.Str("macAddress")));

        var detached = await client.DeleteAsync(nicUri);
        Assert.True(detached.Code == 202, detached.ToString());
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(detached.Header("CIMI-Job-URI")!)).Str("state"));
        Assert.Equal(404, (await client.GetAsync(nicUri)).Code);
        // The Address went with the interface, and its address is free for another.
        Assert.Equal(404, (await client.GetAsync(address)).Code);
        var again = await client.PostAsync(machineUri + "/networkInterfaces", Interface(network, "10.77.0.20"));
        Assert.True(again.Code == 202, again.ToString());
    }

    [Fact]
    public async Task An_interface_POSTed_as_XML_and_a_MachineCreate_naming_networks_in_XML_are_taken()
    {
        using var client = await fixture.NewTenantAsync();
        var network = await CimiDocs.Created(client, "networks", NetworkCreate("10.78.0.0/24"));
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);

        var xml = $"""
            <MachineNetworkInterface xmlns="http://schemas.dmtf.org/cimi/1">
              <property key="cimigrains.address">10.78.0.30</property>
              <network href="{network}"/>
            </MachineNetworkInterface>
            """;
        var attached = await client.SendAsync(HttpMethod.Post, machineUri + "/networkInterfaces", xml, Xml, Xml);
        Assert.True(attached.Code == 202, attached.ToString());
        CimiSchema.AssertValid(attached.Body);
        await client.WaitForJobAsync(attached.Header("CIMI-Job-URI")!);
        Assert.Equal("ACTIVE", (await client.GetAsync(attached.Header("Location")!)).Json.Str("state"));

        var template = await CimiDocs.TemplateAsync(client);
        var create = $"""
            <MachineCreate xmlns="http://schemas.dmtf.org/cimi/1">
              <name>on-a-network</name>
              <machineTemplate href="{template}">
                <networkInterface>
                  <address><ip>10.78.0.40</ip></address>
                  <network href="{network}"/>
                  <state>ACTIVE</state>
                </networkInterface>
              </machineTemplate>
            </MachineCreate>
            """;
        var created = await client.SendAsync(HttpMethod.Post, "machines", create, Xml, Xml);
        Assert.True(created.Code == 202, created.ToString());
        // No host here: the create fails, and its interface stays without its lease (the next start leases it again).
        Assert.Equal("FAILED", (await client.WaitForJobAsync(created.JobUri())).Str("state"));
        var nic = (await client.GetAsync(created.Header("Location")! + "/networkInterfaces")).Json["machineNetworkInterfaces"]![0]!;
        Assert.Equal((network, "PASSIVE"), (nic["network"].Str("href"), nic.Str("state")));
        Assert.Equal(0, (await client.GetAsync(nic.Str("id") + "/addresses")).Json["count"]!.GetValue<int>());
        var free = await client.PostAsync(machineUri + "/networkInterfaces", Interface(network, "10.78.0.40"));
        Assert.True(free.Code == 202, $"the failed create's address should be free again: {free}");
    }

    [Fact]
    public async Task Bad_requests_are_4xx_naming_the_problem_and_attach_nothing()
    {
        using var client = await fixture.NewTenantAsync();
        var network = await CimiDocs.Created(client, "networks", NetworkCreate("10.79.0.0/24"));
        var machineUri = await CimiDocs.MachineWithoutHostAsync(client);
        var nics = machineUri + "/networkInterfaces";

        foreach (var (body, code, says) in new (JsonObject, int, string)[]
        {
            (new JsonObject(), 400, "needs 'network'"),
            (Interface(client.Cimi + "volumes/abc"), 400, "must reference a Network"),
            (Interface(network, "10.79.0.999"), 400, "not an IPv4 address"),
            (Interface(network, "10.80.0.5"), 400, "10.80.0.5"),
            (Interface(client.Cimi + "networks/0123456789abcdef0123456789abcdef"), 404, "networks/0123456789abcdef0123456789abcdef"),
            (new JsonObject { ["network"] = new JsonObject { ["href"] = network }, ["macAddress"] = "52:54:00:00:00:01" }, 400, "'macAddress'"),
            (new JsonObject { ["network"] = new JsonObject { ["href"] = network }, ["mtu"] = 20 }, 400, "'mtu'"),
            (new JsonObject { ["network"] = new JsonObject { ["href"] = network }, ["state"] = "DISABLED" }, 400, "'state'"),
        })
        {
            var refused = await client.PostAsync(nics, body);
            Assert.True(refused.Code == code, $"{body.ToJsonString()}: {refused}");
            Assert.Contains(says, refused.Body);
        }
        Assert.Equal(0, (await client.GetAsync(nics)).Json["count"]!.GetValue<int>());
        Assert.Equal(404, (await client.DeleteAsync(nics + "/0123456789abcdef0123456789abcdef")).Code);

        // A MachineCreate whose static address is taken is a 409 naming the Network, and no Machine is made.
        var holder = await client.PostAsync(nics, Interface(network, "10.79.0.50"));
        Assert.Equal(202, holder.Code);
        var template = await CimiDocs.TemplateAsync(client);
        var before = (await client.GetAsync("machines")).Json["count"]!.GetValue<int>();
        var create = CimiDocs.MachineCreate(template);
        create["machineTemplate"]!["networkInterfaces"] = new JsonArray(new JsonObject
        {
            ["network"] = new JsonObject { ["href"] = network },
            ["addresses"] = new JsonArray(new JsonObject { ["ip"] = "10.79.0.50" }),
        });
        var conflict = await client.PostAsync("machines", create);
        Assert.True(conflict.Code == 409, conflict.ToString());
        Assert.Contains(network[client.Cimi.Length..], conflict.Body);
        Assert.Equal(before, (await client.GetAsync("machines")).Json["count"]!.GetValue<int>());
    }

    /// <summary>The golden text: the tenant and the Network's MAC (from its VNI, which differs per run) replaced;
    /// ids, timestamps and the port are GoldenFiles' own to replace.</summary>
    private static string Anonymized(string text, string tenant, string mac) =>
        text.Replace(tenant, "{tenant}", StringComparison.Ordinal).Replace(mac, "{mac}", StringComparison.Ordinal);
}
