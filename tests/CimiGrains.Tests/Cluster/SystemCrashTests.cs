using System.Text.Json.Nodes;
using CimiGrains.Tests.Agents;
using CimiGrains.Tests.Http;
using static CimiGrains.Tests.Http.Systems.SystemDocs;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// A System's create and delete are durable sagas: two silos on one database and one agent listing both; while a
/// System of six container Machines is being made, one silo and the agent are killed (SIGKILL) and the agent
/// started again. Through the survivor, the System converges to complete (every Machine STARTED, exactly one
/// container each, nothing else on the host), and a delete during which the same happens leaves nothing.
/// </summary>
public sealed class SystemCrashTests
{
    private const string Secret = "system-crash-secret";

    private static Dictionary<string, string> Environment(int[] ports) => new()
    {
        ["CIMI_AGENT_PORT"] = ports[3].ToString(),
        ["CIMI_AGENT_SECRET"] = Secret,
        ["CIMI_HOST_RECONNECT_GRACE_SECONDS"] = "30",
    };

    [Fact]
    public async Task Killing_a_silo_and_the_agent_during_a_Systems_create_and_delete_converges_with_no_orphan_and_no_duplicate()
    {
        await DockerCli.RequireAsync();
        var postgres = await TestDatabase.CreateAsync("syscrash");
        var portsA = FreePorts.Take(4);
        var portsB = FreePorts.Take(4);
        var hostId = AgentCloud.NewHostId("sc");
        var stateDir = Directory.CreateTempSubdirectory("cimi-syscrash-");
        var settings = new Dictionary<string, string> { ["CIMI_AGENT_STATE_DIR"] = stateDir.FullName, ["CIMI_AGENT_CPU"] = "16" };
        var controllers = $"http://127.0.0.1:{portsA[3]},http://127.0.0.1:{portsB[3]}";
        await using var a = await GatewayProcess.StartAsync(postgres, Environment(portsA), portsA);
        await using var b = await GatewayProcess.StartAsync(postgres, Environment(portsB), portsB);
        var agent = AgentProcess.Start(hostId, controllers, Secret, settings);
        try
        {
            await agent.WaitConnectedAsync();
            using var viaA = await Tenants.CreateAsync(a);
            using var viaB = b.Client(viaA.User, Tenants.Password);
            var image = "docker:" + DockerCli.DemoImage;

            var create = await viaA.PostAsync("systems", Create(Template("six", MachineComponent("web", 6, image: image))));
            Assert.True(create.Code == 202, create.ToString());
            // Relative: the answers name silo A, which will be gone.
            var id = create.Header("Location")![viaA.Cimi.Length..];
            var job = create.JobUri()[viaA.Cimi.Length..];
            // Some members are on their way: now the silo that took the request and the agent die.
            await Eventually.Until(() => viaA.GetAsync("machines"), r => r.Json["count"]!.GetValue<int>() > 0, "the first Machine to be asked for");
            await a.KillAsync();
            await agent.KillAsync();
            agent = AgentProcess.Start(hostId, $"http://127.0.0.1:{portsB[3]}", Secret, settings);
            await agent.WaitConnectedAsync();

            var finished = await Eventually.Until(() => viaB.GetAsync(job), r => r.Code == 200 && r.Json.Str("state") is "SUCCESS" or "FAILED",
                "the System's create to finish on the survivor", TimeSpan.FromMinutes(4));
            // An empty collection has no array at all (CIMI omits empty arrays): the rollback's answer.
            var machines = (await viaB.GetAsync("machines")).Json["machines"]?.AsArray().Select(m => m.Str("id")).ToList() ?? [];
            if (finished.Json.Str("state") == "SUCCESS")
            {
                await Eventually.Until(() => viaB.GetAsync(id), r => r.Json.Str("state") == "STARTED", "the System to be STARTED", TimeSpan.FromMinutes(1));
                Assert.Equal(6, machines.Count);
                foreach (var m in machines) Assert.Single(await DockerCli.ContainersOfAsync(MachineWorkloads.KeyOf(viaB, m)));
            }
            else
            {
                // A rollback is the other clean ending: nothing of the System is left.
                Assert.Empty(machines);
            }
            Assert.Equal(machines.Count, (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=cimigrains.host={hostId}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

            // The delete, with the agent killed while it runs. Silo A's death may still be news to the cluster (its
            // grains' calls time out until membership drops it): a 503 with Retry-After is asked again, as a client
            // does; a 409 "DELETING already" says an earlier try was taken after all, and its end is the System's 404.
            var delete = await viaB.DeleteAsync(id);
            for (var deadline = DateTime.UtcNow.AddSeconds(60); delete.Code == 503 && DateTime.UtcNow < deadline; delete = await viaB.DeleteAsync(id))
                await Task.Delay(TimeSpan.FromSeconds(int.TryParse(delete.Header("Retry-After"), out var after) ? Math.Min(after, 5) : 1));
            Assert.True(delete.Code == 202 || (delete.Code == 409 && delete.ToString().Contains("DELETING already", StringComparison.Ordinal)), delete.ToString());
            await agent.KillAsync();
            agent = AgentProcess.Start(hostId, $"http://127.0.0.1:{portsB[3]}", Secret, settings);
            await agent.WaitConnectedAsync();
            if (delete.Code == 202)
            {
                var deleted = await viaB.WaitForJobAsync(delete.JobUri(), TimeSpan.FromMinutes(4));
                Assert.True(deleted.Str("state") == "SUCCESS", deleted.ToJsonString());
            }
            await Eventually.Until(() => viaB.GetAsync(id), r => r.Code == 404, "the System to be gone", TimeSpan.FromMinutes(4));
            Assert.Equal(0, (await viaB.GetAsync("machines")).Json["count"]!.GetValue<int>());
            await Eventually.Until(() => DockerCli.RunAsync("ps", "-aq", "--filter", $"label=cimigrains.host={hostId}"), o => o.Trim().Length == 0,
                "no container of the host to be left");
        }
        finally
        {
            await agent.DisposeAsync();
            await DockerCli.RemoveHostContainersAsync(hostId);
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
            stateDir.Delete(recursive: true);
        }
    }
}
