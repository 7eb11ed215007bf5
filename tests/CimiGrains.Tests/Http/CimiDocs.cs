using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http;

/// <summary>Request documents the HTTP tests send, written the way a CIMI client writes them.</summary>
public static class CimiDocs
{
    public static JsonObject Configuration(int cpu = 1, long memoryKiB = 262144) =>
        new() { ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/MachineConfiguration", ["name"] = "cfg", ["cpu"] = cpu, ["memory"] = memoryKiB };

    public static JsonObject Image(string location = "docker:cimigrains/demo:latest") =>
        new() { ["name"] = "img", ["imageLocation"] = location };

    public static JsonObject Template(string configHref, string imageHref, string? credentialHref = null)
    {
        var t = new JsonObject
        {
            ["name"] = "tpl",
            ["machineConfig"] = new JsonObject { ["href"] = configHref },
            ["machineImage"] = new JsonObject { ["href"] = imageHref },
        };
        if (credentialHref is not null) t["credential"] = new JsonObject { ["href"] = credentialHref };
        return t;
    }

    public static JsonObject CredentialCreate(string user = "root", string password = "s3cret-pass") => new()
    {
        ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/CredentialCreate",
        ["name"] = "admin",
        ["credentialTemplate"] = new JsonObject { ["userName"] = user, ["password"] = password },
    };

    public static JsonObject MachineCreate(string templateHref, string name = "m") => new()
    {
        ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/MachineCreate",
        ["name"] = name,
        ["machineTemplate"] = new JsonObject { ["href"] = templateHref },
    };

    public static JsonObject Action(string name, bool? force = null)
    {
        var a = new JsonObject
        {
            ["resourceURI"] = "http://schemas.dmtf.org/cimi/1/Action",
            ["action"] = "http://schemas.dmtf.org/cimi/1/action/" + name,
        };
        if (force is { } f) a["force"] = f;
        return a;
    }

    /// <summary>Creates a configuration, an image and a template; returns the template's id.</summary>
    public static async Task<string> TemplateAsync(CimiClient client, string? credentialHref = null)
    {
        var config = await Created(client, "machineConfigs", Configuration());
        var image = await Created(client, "machineImages", Image());
        return await Created(client, "machineTemplates", Template(config, image, credentialHref));
    }

    /// <summary>A Machine whose create Job has failed for lack of a host (so it is in ERROR); returns its id.</summary>
    public static async Task<string> MachineWithoutHostAsync(CimiClient client)
    {
        var created = await client.PostAsync("machines", MachineCreate(await TemplateAsync(client)));
        await client.WaitForJobAsync(created.JobUri());
        return created.Header("Location")!;
    }

    /// <summary>POSTs and asserts 201 with a Location equal to the body's id; returns the id.</summary>
    public static async Task<string> Created(CimiClient client, string collection, JsonObject body)
    {
        var response = await client.PostAsync(collection, body);
        Assert.True(response.Code == 201, $"POST {collection}: {response}");
        var id = response.Json["id"]!.GetValue<string>();
        Assert.Equal(id, response.Header("Location"));
        return id;
    }

    public static string Str(this JsonNode? node, string name) => node?[name]?.GetValue<string>()
        ?? throw new InvalidOperationException($"'{name}' missing in {node?.ToJsonString()}");

    public static IEnumerable<string> Rels(this JsonObject resource) =>
        resource["operations"]?.AsArray().Select(o => o!["rel"]!.GetValue<string>()) ?? [];
}
