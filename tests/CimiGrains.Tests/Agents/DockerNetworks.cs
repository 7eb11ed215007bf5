using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Agents;

/// <summary>The tenant networks the agents make, as the docker CLI shows them.</summary>
public static class DockerNetworks
{
    /// <summary>Names of the networks labelled with a host id (and a tenant, when given).</summary>
    public static async Task<IReadOnlyList<string>> OfHostAsync(string hostId, string? tenantId = null)
    {
        var args = new List<string> { "network", "ls", "--format", "{{.Name}}", "--filter", $"label=cimigrains.host={hostId}" };
        if (tenantId is not null) args.AddRange(["--filter", $"label=cimigrains.tenant={tenantId}"]);
        return (await DockerCli.RunAsync([.. args])).Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static async Task<JsonObject> InspectAsync(string name) =>
        (JsonNode.Parse(await DockerCli.RunAsync("network", "inspect", name)) as JsonArray)?[0] as JsonObject
        ?? throw new InvalidOperationException($"docker network inspect {name} gave nothing.");

    /// <summary>The networks a container is attached to, with its address on each.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> AddressesOfAsync(string containerId)
    {
        var networks = (await DockerCli.InspectAsync(containerId))["NetworkSettings"]!["Networks"]!.AsObject();
        return networks.ToDictionary(n => n.Key, n => n.Value!["IPAddress"]!.GetValue<string>());
    }

    /// <summary>Removes the networks a test's hosts made (cleanup after their agents were killed).</summary>
    public static async Task RemoveHostNetworksAsync(string hostId)
    {
        var names = await OfHostAsync(hostId);
        if (names.Count > 0) await DockerCli.RunAsync(["network", "rm", .. names]);
    }
}
