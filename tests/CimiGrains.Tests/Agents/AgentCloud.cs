using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Agents;

/// <summary>
/// A gateway with the agent API on, its own database, and agents with unique host ids; disposing it
/// kills them and removes every container its hosts made.
/// </summary>
public sealed class AgentCloud : IAsyncDisposable
{
    public const string Secret = "test-enrollment-secret";

    private readonly List<AgentProcess> _agents = [];
    private readonly HashSet<string> _hostIds = [];
    private readonly DirectoryInfo _stateRoot = Directory.CreateTempSubdirectory("cimi-agents-");

    private AgentCloud(GatewayProcess gateway, int agentPort, bool tls, string postgres)
    {
        Gateway = gateway;
        Postgres = postgres;
        AgentPort = agentPort;
        Controllers = $"{(tls ? "https" : "http")}://127.0.0.1:{agentPort}";
    }

    public GatewayProcess Gateway { get; }

    /// <summary>The connection string of the cloud's own database.</summary>
    public string Postgres { get; }
    public int AgentPort { get; }

    /// <summary>The agent API URL: <c>https</c> when the gateway serves it with a certificate.</summary>
    public string Controllers { get; }

    /// <summary>Starts the gateway; with <paramref name="tls"/> its agent port serves TLS with that certificate;
    /// <paramref name="gatewayEnvironment"/> adds to (or overrides) the gateway's settings.</summary>
    public static async Task<AgentCloud> StartAsync(string purpose, TestCertificate? tls = null,
        IDictionary<string, string>? gatewayEnvironment = null)
    {
        await DockerCli.RequireAsync();
        var postgres = await TestDatabase.CreateAsync(purpose);
        var agentPort = FreePorts.Take(1)[0];
        var environment = new Dictionary<string, string>
        {
            ["CIMI_AGENT_PORT"] = agentPort.ToString(),
            ["CIMI_AGENT_SECRET"] = Secret,
        };
        if (tls is not null)
        {
            environment["CIMI_AGENT_TLS_CERT"] = tls.CertificatePath;
            environment["CIMI_AGENT_TLS_KEY"] = tls.KeyPath;
        }
        foreach (var (name, value) in gatewayEnvironment ?? new Dictionary<string, string>()) environment[name] = value;
        var gateway = await GatewayProcess.StartAsync(postgres, environment);
        return new AgentCloud(gateway, agentPort, tls is not null, postgres);
    }

    /// <summary>The state directory an agent of <paramref name="hostId"/> started here uses.</summary>
    public string StateDirectoryOf(string hostId) => Path.Combine(_stateRoot.FullName, hostId);

    public static string NewHostId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    /// <summary>Starts an agent and waits until it is connected.</summary>
    public async Task<AgentProcess> StartAgentAsync(string hostId, IDictionary<string, string>? environment = null, string? secret = null,
        bool wait = true, string? controllers = null)
    {
        _hostIds.Add(hostId);
        // One state directory per host id, kept across restarts of its agent, removed with the cloud.
        var settings = new Dictionary<string, string>(environment ?? new Dictionary<string, string>());
        settings.TryAdd("CIMI_AGENT_STATE_DIR", Path.Combine(_stateRoot.FullName, hostId));
        // Agents run Docker only unless a test gives them QEMU (Agents/Qemu): a missing binary fails the
        // QEMU driver's probe, so it is not offered, as on a host without QEMU.
        settings.TryAdd("CIMI_AGENT_QEMU", "/nonexistent/qemu-not-offered-in-this-test");
        var agent = AgentProcess.Start(hostId, controllers ?? Controllers, secret ?? Secret, settings);
        _agents.Add(agent);
        if (wait) await agent.WaitConnectedAsync();
        return agent;
    }

    /// <summary>A tenant with a MachineConfiguration and the demo MachineImage; returns its client and a template.</summary>
    public async Task<(CimiClient Client, JsonObject Template)> NewTenantAsync(int cpu = 1, long memoryKiB = 128 * 1024)
    {
        var client = await Tenants.CreateAsync(Gateway);
        var config = await client.PostAsync("machineConfigs", new JsonObject
        {
            ["name"] = "test", ["cpu"] = cpu, ["memory"] = memoryKiB,
            ["disks"] = new JsonArray(new JsonObject { ["capacity"] = 1048576 }),
        });
        Assert.True(config.Code == 201, $"creating the MachineConfiguration: {config}");
        var image = await client.PostAsync("machineImages", new JsonObject { ["name"] = "demo", ["imageLocation"] = "docker:" + DockerCli.DemoImage });
        Assert.True(image.Code == 201, $"registering the demo image: {image}");
        var template = new JsonObject
        {
            ["machineConfig"] = new JsonObject { ["href"] = config.Json["id"]!.GetValue<string>() },
            ["machineImage"] = new JsonObject { ["href"] = image.Json["id"]!.GetValue<string>() },
        };
        return (client, template);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents) await agent.DisposeAsync();
        await Gateway.DisposeAsync();
        foreach (var hostId in _hostIds) await DockerCli.RemoveHostContainersAsync(hostId);
        // The agents are gone, so the tenant networks their last containers leave are removed here.
        foreach (var hostId in _hostIds) await DockerNetworks.RemoveHostNetworksAsync(hostId);
        if (OperatingSystem.IsLinux()) await UnmountVolumesAsync();
        _stateRoot.Delete(recursive: true);
    }

    /// <summary>What a test that failed midway left of its Volumes on the hosts (their containers are gone now): the
    /// mounts under the agents' state directories, deepest first, then the loop devices behind their files.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private async Task UnmountVolumesAsync()
    {
        var root = _stateRoot.FullName + "/";
        var mounts = (await File.ReadAllLinesAsync("/proc/self/mountinfo")).Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(root, StringComparison.Ordinal));
        foreach (var target in mounts.OrderByDescending(t => t.Length)) await Volumes.TestVolumePool.RunAsync("umount", "-l", target);
        foreach (var loop in (await Volumes.TestVolumePool.RunAsync("losetup", "-a")).Split('\n').Where(l => l.Contains(root, StringComparison.Ordinal)))
            await Volumes.TestVolumePool.RunAsync("losetup", "-d", loop.Split(':')[0]);
    }
}
