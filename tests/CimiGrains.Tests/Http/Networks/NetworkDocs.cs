using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http.Networks;

/// <summary>Network family documents for HTTP tests.</summary>
public static class NetworkDocs
{
    public static JsonObject Ref(string href) => new() { ["href"] = href };

    public static JsonObject Configuration(string? subnet = "10.42.0.0/24", int? mtu = 1450, string type = "PRIVATE")
    {
        var config = new JsonObject { ["name"] = "private", ["description"] = "a private network", ["networkType"] = type };
        if (mtu is not null) config["mtu"] = mtu;
        if (subnet is not null) config["subnet"] = subnet;
        return config;
    }

    public static JsonObject Template(string configHref) =>
        new() { ["name"] = "net", ["description"] = "a network template", ["networkConfig"] = Ref(configHref) };

    public static JsonObject Create(JsonObject template, string name = "net") => new()
    {
        ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/NetworkCreate",
        ["name"] = name,
        ["description"] = "a network for the tests",
        ["networkTemplate"] = template,
    };

    /// <summary>A NetworkCreate carrying its whole template by value.</summary>
    public static JsonObject CreateByValue(string subnet, string name = "net") => Create(new JsonObject { ["networkConfig"] = Configuration(subnet) }, name);

    public static JsonObject PortCreate(JsonObject template) => new() { ["name"] = "port", ["networkPortTemplate"] = template };

    public static JsonObject AddressCreate(JsonObject template) => new() { ["name"] = "address", ["addressTemplate"] = template };

    public static JsonObject GroupCreate(JsonObject template) => new() { ["name"] = "group", ["forwardingGroupTemplate"] = template };

    public static JsonObject GroupOf(params string[] networks) => new() { ["name"] = "joined", ["networks"] = new JsonArray([.. networks.Select(n => (JsonNode)Ref(n))]) };
}
