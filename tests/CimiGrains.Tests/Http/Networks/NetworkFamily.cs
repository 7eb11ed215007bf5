using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http.Networks;

/// <summary>One resource of each Network family type for a tenant, settled (its ForwardingGroup joined), for crawls and queries.</summary>
public static class NetworkFamily
{
    public sealed record Made(string Config, string Template, string Network, string PortConfig, string PortTemplate, string Port,
        string AddressTemplate, string Address, string GroupTemplate, string Group);

    public static async Task<Made> OneOfEachAsync(CimiClient client)
    {
        var config = await CimiDocs.Created(client, "networkConfigs", NetworkDocs.Configuration());
        var template = await CimiDocs.Created(client, "networkTemplates", NetworkDocs.Template(config));
        var network = await CimiDocs.Created(client, "networks", NetworkDocs.Create(NetworkDocs.Ref(template)));
        var portConfig = await CimiDocs.Created(client, "networkPortConfigs",
            new JsonObject { ["name"] = "access", ["portType"] = "ACCESS", ["classOfService"] = "gold" });
        var portTemplate = await CimiDocs.Created(client, "networkPortTemplates",
            new JsonObject { ["name"] = "port", ["network"] = NetworkDocs.Ref(network), ["networkPortConfig"] = NetworkDocs.Ref(portConfig) });
        var port = await CimiDocs.Created(client, "networkPorts", NetworkDocs.PortCreate(NetworkDocs.Ref(portTemplate)));
        var addressTemplate = await CimiDocs.Created(client, "addressTemplates",
            new JsonObject { ["name"] = "fixed", ["ip"] = "10.42.0.10", ["hostname"] = "db", ["network"] = NetworkDocs.Ref(network) });
        var address = await CimiDocs.Created(client, "addresses", NetworkDocs.AddressCreate(NetworkDocs.Ref(addressTemplate)));
        var groupTemplate = await CimiDocs.Created(client, "forwardingGroupTemplates", NetworkDocs.GroupOf(network));
        var group = await CimiDocs.Created(client, "forwardingGroups", NetworkDocs.GroupCreate(NetworkDocs.Ref(groupTemplate)));
        await Eventually.Until(() => client.GetAsync(network), r => r.Json.ContainsKey("forwardingGroup"), "the Network to join its ForwardingGroup");
        return new Made(config, template, network, portConfig, portTemplate, port, addressTemplate, address, groupTemplate, group);
    }
}
