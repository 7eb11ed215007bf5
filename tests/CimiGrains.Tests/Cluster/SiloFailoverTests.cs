using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CimiGrains.Tests.Agents;
using Xunit.Abstractions;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// Two silos, both serving the agent API; the agent lists both. The silo holding the agent's stream is
/// killed (SIGKILL): the agent moves to the survivor, and creates sent to the survivor meanwhile succeed.
/// </summary>
public sealed partial class SiloFailoverTests(ITestOutputHelper output)
{
    private const string Secret = "failover-secret";

    private static Dictionary<string, string> Environment(int[] ports) => new()
    {
        ["CIMI_AGENT_PORT"] = ports[3].ToString(),
        ["CIMI_AGENT_SECRET"] = Secret,
        ["CIMI_HOST_RECONNECT_GRACE_SECONDS"] = "30",
        // The host and session messages, for the failure report.
        ["Logging__LogLevel__CimiGrains"] = "Information",
    };

    [Fact]
    public async Task Killing_the_silo_holding_the_agents_stream_moves_the_agent_and_creates_on_the_survivor_succeed()
    {
        await DockerCli.RequireAsync();
        var postgres = await TestDatabase.CreateAsync("failover");
        var portsA = FreePorts.Take(4);
        var portsB = FreePorts.Take(4);
        await using var a = await GatewayProcess.StartAsync(postgres, Environment(portsA), portsA);
        await using var b = await GatewayProcess.StartAsync(postgres, Environment(portsB), portsB);
        var hostId = AgentCloud.NewHostId("fo");
        var stateDir = Directory.CreateTempSubdirectory("cimi-failover-");
        var agent = AgentProcess.Start(hostId, $"http://127.0.0.1:{portsA[3]},http://127.0.0.1:{portsB[3]}", Secret,
            new Dictionary<string, string> { ["CIMI_AGENT_STATE_DIR"] = stateDir.FullName, ["CIMI_AGENT_CPU"] = "16" });
        try
        {
            await agent.WaitConnectedAsync();
            var (holder, survivor) = ConnectedPort(agent.Log, 1) == portsA[3] ? (a, b) : (b, a);
            var survivorAgentPort = holder == a ? portsB[3] : portsA[3];
            using var client = await Tenants.CreateAsync(survivor);
            var template = await TemplateAsync(client);
            var before = await MachineWorkloads.CreateAsync(client, template);

            await holder.KillAsync();
            var killed = DateTime.UtcNow;
            var reconnected = agent.WaitConnectedAsync(sessions: 2);
            var reconnectedAt = reconnected.ContinueWith(_ => DateTime.UtcNow, TaskScheduler.Default);
            // Creates sent to the survivor right after the kill, as a client would (a 503 is retried
            // after its Retry-After): each must be accepted and then succeed.
            var unavailable = 0;
            var accepted = new List<(string Machine, string Job)>();
            for (var i = 0; i < 6; i++)
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (true)
                {
                    var response = await client.PostAsync("machines", new JsonObject { ["name"] = $"after-{i}", ["machineTemplate"] = template.DeepClone() });
                    if (response.Code == 202)
                    {
                        accepted.Add((response.Header("Location")!, response.Header("CIMI-Job-URI")!));
                        break;
                    }
                    Assert.True(response.Code == 503 && DateTime.UtcNow < deadline, $"create {i} on the survivor: {response}");
                    unavailable++;
                    await Task.Delay(TimeSpan.FromSeconds(int.TryParse(response.Header("Retry-After"), out var s) ? Math.Min(s, 5) : 1));
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
            await reconnected;
            var moved = await reconnectedAt - killed;
            Assert.Equal(survivorAgentPort, ConnectedPort(agent.Log, 2));
            foreach (var (machine, job) in accepted)
            {
                var finished = await client.WaitForJobAsync(job, TimeSpan.FromSeconds(60));
                Assert.True(finished["state"]!.GetValue<string>() == "SUCCESS",
                    $"the Job of {machine}: {finished}\n--- agent ---\n{agent.Log}\n--- survivor ---\n{survivor.Log}");
                await MachineWorkloads.WaitStateAsync(client, machine, "STARTED");
            }
            await MachineWorkloads.WaitStateAsync(client, before.Id, "STARTED");
            // A 503 here is a create whose new grain is addressed through the dead silo's share of the grain
            // directory, answered at once until that silo is declared dead; nothing about the host fails.
            output.WriteLine($"503 answers to creates on the survivor: {unavailable}; the agent was back {moved.TotalSeconds:0.0} s after the kill");
            Assert.True(moved < TimeSpan.FromSeconds(45), $"the agent took {moved.TotalSeconds:0} s to be back on the survivor");
        }
        finally
        {
            await agent.DisposeAsync();
            await DockerCli.RemoveHostContainersAsync(hostId);
            // The agent is gone, so the tenant network its last container leaves is removed here.
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
            stateDir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Killing_the_silo_of_the_host_grain_keeps_the_host_whose_stream_survives_usable()
    {
        await DockerCli.RequireAsync();
        var postgres = await TestDatabase.CreateAsync("hostmove");
        var portsA = FreePorts.Take(4);
        var portsB = FreePorts.Take(4);
        var hostId = AgentCloud.NewHostId("hm");
        var stateDir = Directory.CreateTempSubdirectory("cimi-hostmove-");
        var settings = new Dictionary<string, string> { ["CIMI_AGENT_STATE_DIR"] = stateDir.FullName, ["CIMI_AGENT_CPU"] = "16" };
        AgentProcess? agent = null;
        await using var a = await GatewayProcess.StartAsync(postgres, Environment(portsA), portsA);
        try
        {
            // While A is the only silo, the host grain, the scheduler and the tenant's grains all live on A.
            agent = AgentProcess.Start(hostId, $"http://127.0.0.1:{portsA[3]}", Secret, settings);
            await agent.WaitConnectedAsync();
            using var viaA = await Tenants.CreateAsync(a);
            var template = await TemplateAsync(viaA);
            await MachineWorkloads.CreateAsync(viaA, template);
            await using var b = await GatewayProcess.StartAsync(postgres, Environment(portsB), portsB);
            // The agent's stream moves to B; its host grain stays on A (the agent reconnects to it through B).
            await agent.DisposeAsync();
            agent = AgentProcess.Start(hostId, $"http://127.0.0.1:{portsB[3]}", Secret, settings);
            await agent.WaitConnectedAsync();
            await Eventually.Until(() => Task.FromResult(a.Log),
                l => Regex.Matches(l, $@"Host {Regex.Escape(hostId)}: agent session \w+ connected").Count >= 2,
                "A's host grain to take the agent's session through B");

            await a.KillAsync();
            using var viaB = b.Client(viaA.User, Tenants.Password);
            foreach (var i in Enumerable.Range(0, 3))
            {
                var response = await Eventually.Until(
                    () => viaB.PostAsync("machines", new JsonObject { ["name"] = $"after-{i}", ["machineTemplate"] = template.DeepClone() }),
                    r => r.Code != 503, $"create {i} on B to be accepted", TimeSpan.FromSeconds(60));
                Assert.True(response.Code == 202, $"create {i} on B: {response}");
                var job = await viaB.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(90));
                Assert.True(job["state"]!.GetValue<string>() == "SUCCESS",
                    $"create {i}: {job}\n--- agent ---\n{agent.Log}\n--- B ---\n{b.Log}");
            }
            // The agent never had to reconnect: its stream on B was never broken.
            Assert.True(CountOf(agent.Log, "Connected to ") == 1, $"the agent reconnected:\n{agent.Log}\n--- B ---\n{b.Log}");
        }
        finally
        {
            if (agent is not null) await agent.DisposeAsync();
            await DockerCli.RemoveHostContainersAsync(hostId);
            // The agent is gone, so the tenant network its last container leaves is removed here.
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
            stateDir.Delete(recursive: true);
        }
    }

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>The agent port of the agent's n-th session, from its "Connected to …" log lines.</summary>
    private static int ConnectedPort(string log, int session) =>
        int.Parse(ConnectedLine().Matches(log)[session - 1].Groups[1].Value);

    [GeneratedRegex(@"Connected to http://127\.0\.0\.1:(\d+)")]
    private static partial Regex ConnectedLine();

    private static async Task<JsonObject> TemplateAsync(CimiClient client)
    {
        var config = await client.PostAsync("machineConfigs", new JsonObject
        {
            ["name"] = "failover", ["cpu"] = 1, ["memory"] = 128 * 1024,
            ["disks"] = new JsonArray(new JsonObject { ["capacity"] = 1048576 }),
        });
        Assert.True(config.Code == 201, $"creating the MachineConfiguration: {config}");
        var image = await client.PostAsync("machineImages", new JsonObject { ["name"] = "demo", ["imageLocation"] = "docker:" + DockerCli.DemoImage });
        Assert.True(image.Code == 201, $"registering the demo image: {image}");
        return new JsonObject
        {
            ["machineConfig"] = new JsonObject { ["href"] = config.Json["id"]!.GetValue<string>() },
            ["machineImage"] = new JsonObject { ["href"] = image.Json["id"]!.GetValue<string>() },
        };
    }
}
