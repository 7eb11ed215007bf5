using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Agents.Qemu;

/// <summary>
/// One gateway and one agent offering both drivers, with the demo VM image as a public image, shared by
/// the QEMU tests so the folder boots as few VMs as it can (each test makes its own tenant).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuAgentFixture : IAsyncLifetime
{
    public const string DemoVm = "qemu:demo-vm";
    public const string NotAnImage = "qemu:broken/notes.txt";
    public const string MissingImage = "qemu:broken/missing.qcow2";

    public AgentCloud Cloud { get; private set; } = null!;
    public AgentProcess Agent { get; set; } = null!;
    public QemuHost Host { get; private set; } = null!;
    public string HostId { get; } = AgentCloud.NewHostId("qemu");

    public async Task InitializeAsync()
    {
        QemuHost.RequireQemu();
        Host = new QemuHost();
        await Host.InstallDemoVmAsync();
        Directory.CreateDirectory(Path.Combine(Host.ImagesDirectory, "broken"));
        await File.WriteAllTextAsync(Path.Combine(Host.ImagesDirectory, "broken", "notes.txt"), "these are notes, not a disk\n");
        Cloud = await AgentCloud.StartAsync("qemu", gatewayEnvironment: new Dictionary<string, string>
        {
            ["CIMI_PUBLIC_IMAGES"] = string.Join(',', DemoVm, NotAnImage, MissingImage),
        });
        Agent = await StartAgentAsync();
    }

    public Task<AgentProcess> StartAgentAsync() => Cloud.StartAgentAsync(HostId, Host.AgentEnvironment);

    /// <summary>Starts the agent again if a test killed it and failed before restarting it.</summary>
    public async Task EnsureAgentAsync()
    {
        if (!Agent.HasExited) return;
        await Agent.DisposeAsync();
        Agent = await StartAgentAsync();
    }

    /// <summary>A tenant with a MachineConfiguration for small VMs and a MachineImage of <paramref name="imageLocation"/>.</summary>
    public async Task<(CimiClient Client, JsonObject Template)> NewTenantAsync(string imageLocation = DemoVm, int cpu = 1, long memoryKiB = 192 * 1024)
    {
        var client = await Tenants.CreateAsync(Cloud.Gateway);
        var config = await client.PostAsync("machineConfigs", new JsonObject
        {
            ["name"] = "vm", ["cpu"] = cpu, ["memory"] = memoryKiB,
            ["disks"] = new JsonArray(new JsonObject { ["capacity"] = 1048576 }),
        });
        Assert.True(config.Code == 201, $"creating the MachineConfiguration: {config}");
        var image = await client.PostAsync("machineImages", new JsonObject { ["name"] = "vm", ["imageLocation"] = imageLocation });
        Assert.True(image.Code == 201, $"registering {imageLocation}: {image}");
        var template = new JsonObject
        {
            ["machineConfig"] = new JsonObject { ["href"] = config.Json["id"]!.GetValue<string>() },
            ["machineImage"] = new JsonObject { ["href"] = image.Json["id"]!.GetValue<string>() },
        };
        return (client, template);
    }

    public async Task DisposeAsync()
    {
        if (Cloud is not null) await Cloud.DisposeAsync();
        Host?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class QemuAgentCollection : ICollectionFixture<QemuAgentFixture>
{
    public const string Name = "qemu-agent";
}
