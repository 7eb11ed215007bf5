using System.Text.Json.Nodes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

/// <summary>
/// Host capacity under allocation ratios: CPU is overcommitted 4:1 unless the deployment
/// (<c>CIMI_CPU_ALLOCATION_RATIO</c>) or the host's agent (<c>CIMI_AGENT_CPU_ALLOCATION_RATIO</c>) says
/// otherwise, and a Machine that does not fit is refused with the ratio that applied.
/// </summary>
public sealed class AllocationRatioTests
{
    private static Dictionary<string, string> TwoCpuHost(string? cpuRatio = null)
    {
        var settings = new Dictionary<string, string> { ["CIMI_AGENT_CPU"] = "2", ["CIMI_AGENT_MEMORY_KIB"] = (1024 * 1024).ToString() };
        if (cpuRatio is not null) settings["CIMI_AGENT_CPU_ALLOCATION_RATIO"] = cpuRatio;
        return settings;
    }

    [Fact]
    public async Task With_the_default_ratios_five_one_CPU_Machines_start_on_one_two_CPU_host()
    {
        await using var cloud = await AgentCloud.StartAsync("ratio-default");
        var host = await cloud.StartAgentAsync(AgentCloud.NewHostId("rd"), TwoCpuHost());
        var (client, template) = await cloud.NewTenantAsync(cpu: 1, memoryKiB: 128 * 1024);

        var machines = new List<(string Id, string Key)>();
        for (var i = 0; i < 5; i++) machines.Add(await CreateAsync(client, template));

        foreach (var (id, key) in machines)
        {
            var machine = await GetAsync(client, id);
            Assert.Equal("STARTED", machine["state"]!.GetValue<string>());
            Assert.Equal(host.HostId, machine["host"]!.GetValue<string>());
            Assert.Equal("running", await DockerCli.StateOfAsync(key));
        }
        foreach (var (id, _) in machines) await DeleteAsync(client, id);
    }

    [Fact]
    public async Task A_deployment_CPU_ratio_of_one_reserves_whole_CPUs_and_the_refusal_names_the_ratio()
    {
        await using var cloud = await AgentCloud.StartAsync("ratio-one",
            gatewayEnvironment: new Dictionary<string, string> { ["CIMI_CPU_ALLOCATION_RATIO"] = "1.0" });
        var host = await cloud.StartAgentAsync(AgentCloud.NewHostId("r1"), TwoCpuHost());
        var (client, template) = await cloud.NewTenantAsync(cpu: 1, memoryKiB: 128 * 1024);

        var placed = new[] { await CreateAsync(client, template), await CreateAsync(client, template) };
        var message = await CreateRefusedAsync(client, template);
        Assert.Contains("No host is available", message);
        Assert.Contains($"'{host.HostId}' has 0 of 2 CPU free (2 CPU at CPU allocation ratio 1, the deployment's)", message);

        foreach (var (id, _) in placed) await DeleteAsync(client, id);
    }

    [Fact]
    public async Task A_host_own_CPU_ratio_overrides_the_deployment_ratio()
    {
        await using var cloud = await AgentCloud.StartAsync("ratio-host",
            gatewayEnvironment: new Dictionary<string, string> { ["CIMI_CPU_ALLOCATION_RATIO"] = "1" });
        var host = await cloud.StartAgentAsync(AgentCloud.NewHostId("rh"), TwoCpuHost(cpuRatio: "2.5"));
        var (client, template) = await cloud.NewTenantAsync(cpu: 1, memoryKiB: 128 * 1024);

        var placed = new List<(string Id, string Key)>();
        for (var i = 0; i < 5; i++) placed.Add(await CreateAsync(client, template));
        foreach (var (id, _) in placed) Assert.Equal(host.HostId, (await GetAsync(client, id))["host"]!.GetValue<string>());
        var message = await CreateRefusedAsync(client, template);
        Assert.Contains($"'{host.HostId}' has 0 of 5 CPU free (2 CPU at CPU allocation ratio 2.5, the host's own)", message);

        foreach (var (id, _) in placed) await DeleteAsync(client, id);
    }

    [Fact]
    public async Task A_ratio_that_is_not_a_positive_number_stops_the_gateway_and_the_agent_naming_the_setting()
    {
        var postgres = await TestDatabase.CreateAsync("ratio-bad");
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayProcess.StartAsync(postgres,
            new Dictionary<string, string> { ["CIMI_CPU_ALLOCATION_RATIO"] = "four" }));
        Assert.Contains("CIMI_CPU_ALLOCATION_RATIO='four' is not an allocation ratio", refused.Message);

        var state = Directory.CreateTempSubdirectory("cimi-agent-state-");
        try
        {
            await using var agent = AgentProcess.Start(AgentCloud.NewHostId("rbad"), "http://127.0.0.1:1", AgentCloud.Secret,
                new Dictionary<string, string> { ["CIMI_AGENT_STATE_DIR"] = state.FullName, ["CIMI_AGENT_MEMORY_ALLOCATION_RATIO"] = "0" });
            await agent.WaitForExitAsync("the agent with a zero memory ratio to exit");
            Assert.Contains("CIMI_AGENT_MEMORY_ALLOCATION_RATIO='0' is not an allocation ratio", agent.Log);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    /// <summary>Creates a Machine that no host can take; returns its create Job's statusMessage.</summary>
    private static async Task<string> CreateRefusedAsync(CimiClient client, JsonObject template)
    {
        var response = await client.PostAsync("machines", new JsonObject { ["machineTemplate"] = template.DeepClone() });
        Assert.True(response.Code == 202, $"creating a Machine: {response}");
        var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.True(job["state"]!.GetValue<string>() == "FAILED", $"the create Job of a Machine no host fits: {job}");
        return job["statusMessage"]!.GetValue<string>();
    }
}
