using System.Diagnostics;
using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Agents;

/// <summary>The Docker engine as a test sees it, through the docker CLI (engine API 1.41 here).</summary>
public static class DockerCli
{
    public const string DemoImage = "cimigrains/demo:latest";

    public static async Task<string> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("docker", args)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        info.Environment["DOCKER_API_VERSION"] = "1.41";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Cannot run docker.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
        return (await stdout).Trim();
    }

    /// <summary>Fails with what to do when the engine or the demo image is missing: these tests never skip.</summary>
    public static async Task RequireAsync()
    {
        try
        {
            await RunAsync("info", "--format", "{{.ServerVersion}}");
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"The agent tests need a running Docker engine (run scripts/docker.sh ensure): {e.Message}");
        }
        try
        {
            await RunAsync("image", "inspect", DemoImage);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"The demo image {DemoImage} is missing (run scripts/docker.sh ensure): {e.Message}");
        }
    }

    /// <summary>Ids of every container (running or not) of one Machine.</summary>
    public static async Task<IReadOnlyList<string>> ContainersOfAsync(string machineKey) =>
        (await RunAsync("ps", "-aq", "--no-trunc", "--filter", $"label=cimigrains.machine={machineKey}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static async Task<JsonObject> InspectAsync(string id) =>
        (JsonNode.Parse(await RunAsync("inspect", id)) as JsonArray)?[0] as JsonObject
        ?? throw new InvalidOperationException($"docker inspect {id} gave nothing.");

    /// <summary>"running", "paused", "exited", … of the Machine's only container, or "absent".</summary>
    public static async Task<string> StateOfAsync(string machineKey)
    {
        var ids = await ContainersOfAsync(machineKey);
        if (ids.Count == 0) return "absent";
        if (ids.Count > 1) return $"duplicated ({ids.Count} containers)";
        try
        {
            return (await InspectAsync(ids[0]))["State"]!["Status"]!.GetValue<string>();
        }
        catch (InvalidOperationException e) when (e.Message.Contains("No such object"))
        {
            // Removed between the listing and the inspection: the agent is deleting it right now.
            return "absent";
        }
    }

    /// <summary>Whether the engine has the image (a reference such as <c>repo:tag</c>).</summary>
    public static async Task<bool> ImageExistsAsync(string reference) =>
        (await RunAsync("images", "-q", reference)).Length > 0;

    /// <summary>Removes an image a test made, if it is still there (cleanup).</summary>
    public static async Task RemoveImageAsync(string reference)
    {
        if (await ImageExistsAsync(reference)) await RunAsync("rmi", "-f", reference);
    }

    /// <summary>Removes every container a test's hosts made (cleanup, whatever state they are in).</summary>
    public static async Task RemoveHostContainersAsync(string hostId)
    {
        var ids = (await RunAsync("ps", "-aq", "--filter", $"label=cimigrains.host={hostId}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (ids.Length > 0) await RunAsync(["rm", "-f", "-v", .. ids]);
        // The Machine-file volumes of containers removed without them (a test's "behind the back" removal).
        await RunAsync("volume", "prune", "-f", "--filter", $"label=cimigrains.host={hostId}");
    }
}
