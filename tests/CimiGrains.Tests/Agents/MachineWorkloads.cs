using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Agents;

/// <summary>Creating Machines and watching them in CIMI and in Docker at once.</summary>
public static class MachineWorkloads
{
    /// <summary>Creates a Machine, waits for its Job, and returns the Machine's relative id and key.</summary>
    public static async Task<(string Id, string Key)> CreateAsync(CimiClient client, JsonObject template, bool expectSuccess = true)
    {
        var response = await client.PostAsync("machines", new JsonObject { ["name"] = "m", ["machineTemplate"] = template.DeepClone() });
        Assert.True(response.Code == 202, $"creating a Machine: {response}");
        var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        if (expectSuccess) Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the create Job: {job}");
        var id = response.Header("Location")!;
        return (id, KeyOf(client, id));
    }

    public static string KeyOf(CimiClient client, string machineUri)
    {
        var localId = machineUri[(machineUri.LastIndexOf('/') + 1)..];
        var tenant = client.User[..client.User.LastIndexOf("-user", StringComparison.Ordinal)];
        return $"{tenant}/{localId}";
    }

    public static async Task<JsonObject> GetAsync(CimiClient client, string id)
    {
        var response = await client.GetAsync(id);
        Assert.True(response.Code == 200, $"reading {id}: {response}");
        return response.Json;
    }

    public static async Task<string> StateAsync(CimiClient client, string id) =>
        (await GetAsync(client, id))["state"]!.GetValue<string>();

    public static Task<string> WaitStateAsync(CimiClient client, string id, string state, TimeSpan? timeout = null) =>
        Eventually.Until(() => StateAsync(client, id), s => s == state, $"Machine {id} to be {state}", timeout ?? TimeSpan.FromSeconds(30));

    public static Task<string> WaitDockerAsync(string key, string state) =>
        Eventually.Until(() => DockerCli.StateOfAsync(key), s => s == state, $"the container of {key} to be {state}", TimeSpan.FromSeconds(30));

    /// <summary>Runs an action and waits for its Job to succeed.</summary>
    public static async Task ActAsync(CimiClient client, string id, string action, bool? force = null)
    {
        var body = new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/" + action };
        if (force is { } f) body["force"] = f;
        var response = await client.PostAsync(id, body);
        Assert.True(response.Code == 202, $"{action}: {response}");
        var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the {action} Job: {job}");
    }

    public static async Task DeleteAsync(CimiClient client, string id)
    {
        var response = await client.DeleteAsync(id);
        Assert.True(response.Code == 202, $"deleting {id}: {response}");
        var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the delete Job: {job}");
    }

    /// <summary>Captures a Machine, waits for the capture's Job, and returns the new MachineImage's URI and
    /// the Docker reference of the committed image (which must be on the engine).</summary>
    public static async Task<(string ImageUri, string Reference)> CaptureAsync(CimiClient client, string machineId)
    {
        var capture = await client.PostAsync("machineImages", new JsonObject { ["name"] = "snap", ["imageLocation"] = client.Absolute(machineId) });
        Assert.True(capture.Code == 202, $"capture: {capture}");
        var job = await client.WaitForJobAsync(capture.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the capture Job: {job}");
        var imageUri = capture.Header("Location")!;
        var location = (await client.GetAsync(imageUri)).Json["imageLocation"]!.GetValue<string>();
        Assert.StartsWith("docker:cimigrains/capture:", location);
        var reference = location["docker:".Length..];
        Assert.True(await DockerCli.ImageExistsAsync(reference), $"the capture {reference} is not in the engine");
        return (imageUri, reference);
    }
}
