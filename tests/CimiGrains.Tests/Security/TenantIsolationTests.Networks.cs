using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;
using CimiGrains.Tests.Http.Networks;

namespace CimiGrains.Tests.Security;

// The Network family's part of the tenant-isolation test: one resource of each of its ten types for A, B's own to
// build requests on, and every href a Network family body can carry.
public sealed partial class TenantIsolationTests
{
    // A property, not a field: CollectionCases (in the other part) is built from it, and field initializers of two parts run in no set order.
    private static IReadOnlyDictionary<string, (bool Owned, bool HasActions)> NetworkCollectionCases => new Dictionary<string, (bool, bool)>
    {
        ["networks"] = (true, true),
        ["networkTemplates"] = (true, false),
        ["networkConfigs"] = (true, false),
        ["networkPorts"] = (true, false),
        ["networkPortTemplates"] = (true, false),
        ["networkPortConfigs"] = (true, false),
        ["addresses"] = (true, false),
        ["addressTemplates"] = (true, false),
        ["forwardingGroups"] = (true, false),
        ["forwardingGroupTemplates"] = (true, false),
    };

    /// <summary>B's own Network family resources.</summary>
    private sealed record BobsNetworks(string Config, string Template, string Network, string PortConfig);

    private static async Task MakeNetworksAsync(CimiClient alice, Func<JsonObject, JsonObject> named, Dictionary<string, string> ids,
        Dictionary<string, JsonObject> updates)
    {
        var config = await CimiDocs.Created(alice, "networkConfigs", named(NetworkDocs.Configuration("10.60.0.0/24")));
        var template = await CimiDocs.Created(alice, "networkTemplates", named(NetworkDocs.Template(config)));
        var network = await CimiDocs.Created(alice, "networks", named(NetworkDocs.Create(NetworkDocs.Ref(template))));
        var portConfig = await CimiDocs.Created(alice, "networkPortConfigs", named(new JsonObject { ["portType"] = "ACCESS" }));
        var portTemplate = await CimiDocs.Created(alice, "networkPortTemplates",
            named(new JsonObject { ["network"] = NetworkDocs.Ref(network), ["networkPortConfig"] = NetworkDocs.Ref(portConfig) }));
        var port = await CimiDocs.Created(alice, "networkPorts", named(NetworkDocs.PortCreate(NetworkDocs.Ref(portTemplate))));
        var addressTemplate = await CimiDocs.Created(alice, "addressTemplates", named(new JsonObject { ["network"] = NetworkDocs.Ref(network) }));
        var address = await CimiDocs.Created(alice, "addresses", named(NetworkDocs.AddressCreate(NetworkDocs.Ref(addressTemplate))));
        var groupTemplate = await CimiDocs.Created(alice, "forwardingGroupTemplates", named(NetworkDocs.GroupOf(network)));
        var group = await CimiDocs.Created(alice, "forwardingGroups", named(NetworkDocs.GroupCreate(NetworkDocs.Ref(groupTemplate))));
        // The group tells its Network one way: A's Network settles before B starts, so nothing of A's moves while B tries.
        await Eventually.Until(() => alice.GetAsync(network), r => r.Json.ContainsKey("forwardingGroup"), "A's Network to join its ForwardingGroup");

        (ids["networkConfigs"], ids["networkTemplates"], ids["networks"], ids["networkPortConfigs"], ids["networkPortTemplates"]) =
            (config, template, network, portConfig, portTemplate);
        (ids["networkPorts"], ids["addressTemplates"], ids["addresses"], ids["forwardingGroupTemplates"], ids["forwardingGroups"]) =
            (port, addressTemplate, address, groupTemplate, group);
        updates["networkConfigs"] = new() { ["name"] = "stolen", ["mtu"] = 1400 };
        updates["networkTemplates"] = new() { ["name"] = "stolen", ["networkConfig"] = NetworkDocs.Ref(config) };
        updates["networks"] = new() { ["name"] = "stolen" };
        updates["networkPortConfigs"] = new() { ["name"] = "stolen", ["portType"] = "TRUNK" };
        updates["networkPortTemplates"] = new() { ["name"] = "stolen", ["network"] = NetworkDocs.Ref(network) };
        updates["networkPorts"] = new() { ["name"] = "stolen" };
        updates["addressTemplates"] = new() { ["name"] = "stolen", ["network"] = NetworkDocs.Ref(network) };
        updates["addresses"] = new() { ["name"] = "stolen" };
        updates["forwardingGroupTemplates"] = new() { ["name"] = "stolen", ["networks"] = new JsonArray(NetworkDocs.Ref(network)) };
        updates["forwardingGroups"] = new() { ["name"] = "stolen" };
    }

    private static async Task<BobsNetworks> MakeBobsNetworksAsync(CimiClient bob)
    {
        var config = await CimiDocs.Created(bob, "networkConfigs", NetworkDocs.Configuration("10.60.0.0/24"));
        var template = await CimiDocs.Created(bob, "networkTemplates", NetworkDocs.Template(config));
        var network = await CimiDocs.Created(bob, "networks", NetworkDocs.Create(NetworkDocs.Ref(template)));
        var portConfig = await CimiDocs.Created(bob, "networkPortConfigs", new JsonObject { ["portType"] = "ACCESS" });
        return new BobsNetworks(config, template, network, portConfig);
    }

    private static IEnumerable<ReferenceCase> NetworkReferenceCases(Bob b, BobsNetworks n)
    {
        JsonObject Ref(string href) => NetworkDocs.Ref(href);
        return
        [
            new("NetworkTemplate.networkConfig", "networkConfigs", (c, id) => c.PostAsync("networkTemplates", NetworkDocs.Template(id))),
            new("NetworkTemplate.networkConfig in XML", "networkConfigs", (c, id) => c.SendAsync(HttpMethod.Post, "networkTemplates",
                $"<NetworkTemplate xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>t</name><networkConfig href=\"{id}\"/></NetworkTemplate>", "application/xml")),
            new("NetworkTemplate.forwardingGroup", "forwardingGroups", (c, id) => c.PostAsync("networkTemplates",
                new JsonObject { ["name"] = "t", ["networkConfig"] = Ref(n.Config), ["forwardingGroup"] = Ref(id) })),
            new("PUT NetworkTemplate.networkConfig", "networkConfigs", (c, id) => c.PutAsync(n.Template, NetworkDocs.Template(id))),
            new("NetworkCreate.networkTemplate by reference", "networkTemplates", (c, id) => c.PostAsync("networks", NetworkDocs.Create(Ref(id)))),
            new("NetworkCreate.networkTemplate by reference in XML", "networkTemplates", (c, id) => c.SendAsync(HttpMethod.Post, "networks",
                $"<NetworkCreate xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>n</name><networkTemplate href=\"{id}\"/></NetworkCreate>", "application/xml")),
            new("NetworkCreate.networkTemplate by reference with overrides", "networkTemplates", (c, id) =>
            {
                var template = Ref(id);
                template["networkConfig"] = Ref(n.Config);
                return c.PostAsync("networks", NetworkDocs.Create(template));
            }),
            new("NetworkCreate inline networkConfig", "networkConfigs", (c, id) => c.PostAsync("networks",
                NetworkDocs.Create(new JsonObject { ["networkConfig"] = Ref(id) }))),
            new("NetworkCreate inline networkConfig with overrides", "networkConfigs", (c, id) =>
            {
                var config = Ref(id);
                config["mtu"] = 1400;
                return c.PostAsync("networks", NetworkDocs.Create(new JsonObject { ["networkConfig"] = config }));
            }),
            new("NetworkCreate B's template overriding the forwardingGroup", "forwardingGroups", (c, id) =>
            {
                var template = Ref(n.Template);
                template["forwardingGroup"] = Ref(id);
                return c.PostAsync("networks", NetworkDocs.Create(template));
            }),
            new("NetworkPortTemplate.network", "networks", (c, id) => c.PostAsync("networkPortTemplates", new JsonObject { ["name"] = "p", ["network"] = Ref(id) })),
            new("NetworkPortTemplate.networkPortConfig", "networkPortConfigs", (c, id) => c.PostAsync("networkPortTemplates",
                new JsonObject { ["name"] = "p", ["network"] = Ref(n.Network), ["networkPortConfig"] = Ref(id) })),
            new("NetworkPortCreate.networkPortTemplate by reference", "networkPortTemplates", (c, id) => c.PostAsync("networkPorts", NetworkDocs.PortCreate(Ref(id)))),
            new("NetworkPortCreate inline network", "networks", (c, id) => c.PostAsync("networkPorts",
                NetworkDocs.PortCreate(new JsonObject { ["network"] = Ref(id) }))),
            new("NetworkPortCreate inline networkPortConfig", "networkPortConfigs", (c, id) => c.PostAsync("networkPorts",
                NetworkDocs.PortCreate(new JsonObject { ["network"] = Ref(n.Network), ["networkPortConfig"] = Ref(id) }))),
            new("AddressTemplate.network", "networks", (c, id) => c.PostAsync("addressTemplates", new JsonObject { ["name"] = "a", ["network"] = Ref(id) })),
            new("AddressCreate.addressTemplate by reference", "addressTemplates", (c, id) => c.PostAsync("addresses", NetworkDocs.AddressCreate(Ref(id)))),
            new("AddressCreate inline network", "networks", (c, id) => c.PostAsync("addresses",
                NetworkDocs.AddressCreate(new JsonObject { ["network"] = Ref(id), ["ip"] = "10.60.0.9" }))),
            new("AddressCreate inline network in XML", "networks", (c, id) => c.SendAsync(HttpMethod.Post, "addresses",
                $"<AddressCreate xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>a</name><addressTemplate><network href=\"{id}\"/></addressTemplate></AddressCreate>",
                "application/xml")),
            new("ForwardingGroupTemplate.networks", "networks", (c, id) => c.PostAsync("forwardingGroupTemplates", NetworkDocs.GroupOf(id))),
            new("ForwardingGroupCreate.forwardingGroupTemplate by reference", "forwardingGroupTemplates", (c, id) =>
                c.PostAsync("forwardingGroups", NetworkDocs.GroupCreate(Ref(id)))),
            new("ForwardingGroupCreate inline networks", "networks", (c, id) => c.PostAsync("forwardingGroups",
                NetworkDocs.GroupCreate(NetworkDocs.GroupOf(n.Network, id)))),
            new("PUT Job.affectedResources naming a NetworkPort", "networkPorts",
                (c, id) => c.PutAsync(b.Job, new JsonObject { ["name"] = "j", ["affectedResources"] = new JsonArray(Ref(id)) })),
            new("PUT Job.affectedResources naming an Address", "addresses",
                (c, id) => c.PutAsync(b.Job, new JsonObject { ["name"] = "j", ["affectedResources"] = new JsonArray(Ref(id)) })),
        ];
    }
}
