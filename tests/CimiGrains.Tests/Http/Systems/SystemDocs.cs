using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http.Systems;

/// <summary>System family documents for HTTP tests, written as a CIMI client writes them.</summary>
public static class SystemDocs
{
    public const string Cimi = "http://schemas.dmtf.org/cimi/1/";

    public static JsonObject Ref(string href) => new() { ["href"] = href };

    public static JsonObject Component(string name, string type, string templateAttribute, JsonObject template, int? quantity = null)
    {
        var c = new JsonObject { ["name"] = name, ["type"] = Cimi + type, [templateAttribute] = template };
        if (quantity is { } q) c["quantity"] = q;
        return c;
    }

    /// <summary>A private Network component (the tenant's next free subnet).</summary>
    public static JsonObject NetworkComponent(string name = "net", int? quantity = null) =>
        Component(name, "Network", "networkTemplate", new JsonObject { ["networkConfig"] = new JsonObject { ["networkType"] = "PRIVATE" } }, quantity);

    public static JsonObject CredentialComponent(string name = "admin") =>
        Component(name, "Credential", "credentialTemplate", new JsonObject { ["userName"] = "ops", ["password"] = "s3cret-pass" });

    public static JsonObject VolumeComponent(string name = "data", long capacityKb = 8192) =>
        Component(name, "Volume", "volumeTemplate", new JsonObject { ["volumeConfig"] = new JsonObject { ["format"] = "ext4", ["capacity"] = capacityKb } });

    /// <summary>A NetworkPort component on the System's own Network <paramref name="network"/>.</summary>
    public static JsonObject PortComponent(string name, string network, int? quantity = null) =>
        Component(name, "NetworkPort", "networkPortTemplate", new JsonObject { ["network"] = Ref("#" + network) }, quantity);

    /// <summary>An Address component reserved on the System's own Network <paramref name="network"/> (the address asked for, or any).</summary>
    public static JsonObject AddressComponent(string name, string network, string? ip = null)
    {
        var template = new JsonObject { ["network"] = Ref("#" + network), ["hostname"] = name };
        if (ip is not null) template["ip"] = ip;
        return Component(name, "Address", "addressTemplate", template);
    }

    /// <summary>A ForwardingGroup component joining the System's own Networks.</summary>
    public static JsonObject GroupComponent(string name, params string[] networks) =>
        Component(name, "ForwardingGroup", "forwardingGroupTemplate",
            new JsonObject { ["networks"] = new JsonArray([.. networks.Select(n => (JsonNode)Ref("#" + n))]) });

    /// <summary>A private Network component that joins the System's own ForwardingGroup <paramref name="group"/>.</summary>
    public static JsonObject NetworkInGroupComponent(string name, string group) =>
        Component(name, "Network", "networkTemplate", new JsonObject
        {
            ["networkConfig"] = new JsonObject { ["networkType"] = "PRIVATE" }, ["forwardingGroup"] = Ref("#" + group),
        });

    /// <summary>A container Machine component on the demo image, optionally on the System's own Network and Volume.</summary>
    public static JsonObject MachineComponent(string name, int quantity = 1, string? network = null, string? volume = null, string? credential = null,
        int cpu = 1, long memoryKiB = 65536, string image = "docker:cimigrains/demo:latest")
    {
        var template = new JsonObject
        {
            ["machineConfig"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memoryKiB },
            ["machineImage"] = new JsonObject { ["imageLocation"] = image },
        };
        if (network is not null) template["networkInterfaces"] = new JsonArray(new JsonObject { ["network"] = Ref("#" + network) });
        if (volume is not null) template["volumes"] = new JsonArray(new JsonObject { ["href"] = "#" + volume, ["initialLocation"] = "/data" });
        if (credential is not null) template["credential"] = Ref("#" + credential);
        return Component(name, "Machine", "machineTemplate", template, quantity);
    }

    public static JsonObject Template(string name, params JsonObject[] components) => new()
    {
        ["resourceURI"] = Cimi + "SystemTemplate",
        ["name"] = name,
        ["description"] = "a system template for the tests",
        ["componentDescriptors"] = new JsonArray([.. components]),
    };

    public static JsonObject Create(JsonObject template, string name = "sys") => new()
    {
        ["resourceURI"] = Cimi + "SystemCreate",
        ["name"] = name,
        ["systemTemplate"] = template,
    };
}
