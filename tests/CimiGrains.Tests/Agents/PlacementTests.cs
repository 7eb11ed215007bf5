using System.Text.Json.Nodes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

/// <summary>Placement over several agents sharing this machine's Docker engine under distinct host ids.</summary>
public sealed class PlacementTests
{
    [Fact]
    public async Task Machines_spread_over_two_agents_and_a_Machine_no_host_fits_fails_saying_why()
    {
        await using var cloud = await AgentCloud.StartAsync("placement");
        var small = new Dictionary<string, string> { ["CIMI_AGENT_CPU"] = "2", ["CIMI_AGENT_MEMORY_KIB"] = (512 * 1024).ToString() };
        var a = await cloud.StartAgentAsync(AgentCloud.NewHostId("pa"), small);
        var b = await cloud.StartAgentAsync(AgentCloud.NewHostId("pb"), small);
        var (client, template) = await cloud.NewTenantAsync(cpu: 1, memoryKiB: 128 * 1024);

        var machines = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => CreateAsync(client, template)));
        var hosts = await Task.WhenAll(machines.Select(async m => (await GetAsync(client, m.Id))["host"]!.GetValue<string>()));
        Assert.Equal(2, hosts.Count(h => h == a.HostId));
        Assert.Equal(2, hosts.Count(h => h == b.HostId));
        foreach (var (_, key) in machines)
        {
            var container = await DockerCli.InspectAsync((await DockerCli.ContainersOfAsync(key)).Single());
            Assert.Contains(container["Config"]!["Labels"]!["cimigrains.host"]!.GetValue<string>(), new[] { a.HostId, b.HostId });
        }

        var config = await client.PostAsync("machineConfigs", new JsonObject { ["name"] = "big", ["cpu"] = 1, ["memory"] = 1024 * 1024 });
        var bigTemplate = template.DeepClone().AsObject();
        bigTemplate["machineConfig"] = new JsonObject { ["href"] = config.Json["id"]!.GetValue<string>() };
        var response = await client.PostAsync("machines", new JsonObject { ["machineTemplate"] = bigTemplate });
        Assert.True(response.Code == 202, $"creating the big Machine: {response}");
        var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!);
        Assert.Equal("FAILED", job["state"]!.GetValue<string>());
        var message = job["statusMessage"]!.GetValue<string>();
        Assert.Contains("No host is available", message);
        Assert.Contains("1048576 KiB", message);

        foreach (var (id, key) in machines)
        {
            await DeleteAsync(client, id);
            Assert.Equal("absent", await DockerCli.StateOfAsync(key));
        }
    }

    [Fact]
    public async Task An_agent_with_the_wrong_secret_is_refused_and_gets_no_Machines()
    {
        await using var cloud = await AgentCloud.StartAsync("secret");
        var intruder = await cloud.StartAgentAsync(AgentCloud.NewHostId("bad"), secret: "wrong-secret", wait: false);
        await Eventually.Until(() => Task.FromResult(intruder.Log), l => l.Contains("rejected this agent"), "the agent to log its rejection");
        var (client, template) = await cloud.NewTenantAsync();
        var (id, _) = await CreateAsync(client, template, expectSuccess: false);
        Assert.Equal("ERROR", await StateAsync(client, id));
        Assert.Empty(await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=cimigrains.host={intruder.HostId}"));
    }
}
