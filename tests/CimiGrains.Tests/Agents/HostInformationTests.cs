using System.Text.Json.Nodes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

/// <summary>
/// What operators learn about hosts (<c>GET /admin/hosts</c>): each host's agent connectivity, its drivers,
/// its labels (the operator's and its drivers' own, merged by the agent), capacity under the allocation
/// ratios and what is used; and that a Machine no host can hold fails saying why, leaving nothing behind.
/// </summary>
public sealed class HostInformationTests
{
    [Fact]
    public async Task Operators_see_each_host_with_its_drivers_labels_capacity_and_use_and_tenants_do_not()
    {
        await using var cloud = await AgentCloud.StartAsync("hosts");
        var hostId = AgentCloud.NewHostId("info");
        var agent = await cloud.StartAgentAsync(hostId, new Dictionary<string, string>
        {
            ["CIMI_AGENT_CPU"] = "2",
            ["CIMI_AGENT_MEMORY_KIB"] = (1024 * 1024).ToString(),
            ["CIMI_AGENT_LABELS"] = "rack=r7,zone=test",
            ["CIMI_AGENT_MEMORY_ALLOCATION_RATIO"] = "1.5",
            ["CIMI_AGENT_VOLUME_POOL_KIB"] = (4 * 1024 * 1024).ToString(),
        });
        using var admin = cloud.Gateway.Admin();
        var engine = await DockerCli.RunAsync("version", "--format", "{{.Server.Version}}");

        var host = await HostAsync(admin, hostId, h => h["connected"]!.GetValue<bool>());
        Assert.Equal(["docker"], host["drivers"]!.AsArray().Select(d => d!.GetValue<string>()));
        var labels = host["labels"]!.AsObject();
        Assert.Equal("r7", labels["rack"]!.GetValue<string>());
        Assert.Equal("test", labels["zone"]!.GetValue<string>());
        // The driver's own label, merged into the registration by the agent.
        Assert.Equal(engine, labels["docker.engine"]!.GetValue<string>());
        Assert.Equal(2, host["cpu"]!.GetValue<int>());
        Assert.Equal(1024 * 1024, host["memoryKiB"]!.GetValue<long>());
        Assert.True(host["diskKiB"]!.GetValue<long>() > 0, $"the host's disk: {host}");
        Assert.Equal(4.0, host["cpuAllocationRatio"]!["value"]!.GetValue<double>());
        Assert.Equal("deployment", host["cpuAllocationRatio"]!["source"]!.GetValue<string>());
        Assert.Equal(1.5, host["memoryAllocationRatio"]!["value"]!.GetValue<double>());
        Assert.Equal("host", host["memoryAllocationRatio"]!["source"]!.GetValue<string>());
        Assert.Equal(8.0, host["capacity"]!["cpu"]!.GetValue<double>());
        Assert.Equal(1536 * 1024, host["capacity"]!["memoryKiB"]!.GetValue<long>());
        Assert.Equal(0, host["used"]!["machines"]!.GetValue<int>());
        Assert.Equal(4 * 1024 * 1024, host["volumePool"]!["capacityKiB"]!.GetValue<long>());
        Assert.Equal(0, host["volumePool"]!["usedKiB"]!.GetValue<long>());

        var (client, template) = await cloud.NewTenantAsync(cpu: 1, memoryKiB: 128 * 1024);
        var (id, _) = await CreateAsync(client, template);
        var used = await HostAsync(admin, hostId, h => h["used"]!["machines"]!.GetValue<int>() == 1);
        var volume = await client.PostAsync("volumes", JsonNode.Parse("""{"volumeTemplate":{"volumeConfig":{"capacity":1048576}}}""")!);
        Assert.True(volume.Code == 202, $"creating a Volume: {volume}");
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(volume.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60)))["state"]!.GetValue<string>());
        var pool = (await HostAsync(admin, hostId, h => h["volumePool"]!["volumes"]!.GetValue<int>() == 1))["volumePool"]!;
        Assert.Equal(1024 * 1024, pool["usedKiB"]!.GetValue<long>());
        Assert.Equal(1.0, used["used"]!["cpu"]!.GetValue<double>());
        Assert.Equal(128 * 1024, used["used"]!["memoryKiB"]!.GetValue<long>());
        Assert.Equal(1048576, used["used"]!["diskKiB"]!.GetValue<long>());

        // Operators only: a tenant's user is forbidden, an anonymous caller unauthenticated.
        Assert.Equal(403, (await client.GetAsync("/admin/hosts")).Code);
        using var anonymous = new CimiClient(cloud.Gateway.BaseAddress, "nobody", "not-a-password");
        Assert.Equal(401, (await anonymous.GetAsync("/admin/hosts")).Code);

        await DeleteAsync(client, id);
        var deleted = await client.DeleteAsync(volume.Header("Location")!);
        Assert.True(deleted.Code == 202, $"deleting the Volume: {deleted}");
        await HostAsync(admin, hostId, h => h["volumePool"]!["volumes"]!.GetValue<int>() == 0);
        await agent.KillAsync();
        var away = await HostAsync(admin, hostId, h => !h["connected"]!.GetValue<bool>());
        Assert.NotNull(away["reconnectingUntil"]);
    }

    [Fact]
    public async Task A_configuration_no_host_can_hold_fails_its_create_saying_why_and_leaves_nothing_behind()
    {
        await using var cloud = await AgentCloud.StartAsync("too-large");
        var hostId = AgentCloud.NewHostId("big");
        await cloud.StartAgentAsync(hostId, new Dictionary<string, string> { ["CIMI_AGENT_CPU"] = "2", ["CIMI_AGENT_MEMORY_KIB"] = (1024 * 1024).ToString() });
        var (client, template) = await cloud.NewTenantAsync();
        using var admin = cloud.Gateway.Admin();

        foreach (var (cpu, memory, what) in new[] { (64, 128L * 1024, "64 CPU"), (1, 64L * 1024 * 1024, $"{64L * 1024 * 1024} KiB of memory") })
        {
            var response = await client.PostAsync("machines",
                new JsonObject { ["name"] = "huge", ["machineTemplate"] = await MachineConsoleTests.WithConfigurationAsync(client, template, cpu, memory) });
            Assert.True(response.Code == 202, $"creating the Machine: {response}");
            var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
            Assert.Equal("FAILED", job["state"]!.GetValue<string>());
            var message = job["statusMessage"]!.GetValue<string>();
            Assert.Contains("No host is available", message);
            Assert.Contains(what, message);
            Assert.Contains($"'{hostId}' has 8 of 8 CPU free", message);

            var machine = await GetAsync(client, response.Header("Location")!);
            Assert.Equal("ERROR", machine["state"]!.GetValue<string>());
            Assert.Null(machine["host"]);
            Assert.Equal("absent", await DockerCli.StateOfAsync(KeyOf(client, response.Header("Location")!)));
        }
        // Nothing was reserved on the host for them.
        var host = await HostAsync(admin, hostId, h => h["connected"]!.GetValue<bool>());
        Assert.Equal(0, host["used"]!["machines"]!.GetValue<int>());
        Assert.Equal(0.0, host["used"]!["cpu"]!.GetValue<double>());
        Assert.Equal(0, host["used"]!["memoryKiB"]!.GetValue<long>());
    }

    /// <summary>The host <paramref name="hostId"/> in <c>GET /admin/hosts</c>, once it shows what <paramref name="ready"/> wants.</summary>
    private static async Task<JsonObject> HostAsync(CimiClient admin, string hostId, Func<JsonObject, bool> ready)
    {
        JsonObject? Find(CimiResponse r) => r.Code == 200
            ? r.Json["hosts"]!.AsArray().Select(h => h!.AsObject()).FirstOrDefault(h => h["id"]!.GetValue<string>() == hostId)
            : null;
        var response = await Eventually.Until(() => admin.GetAsync("/admin/hosts"), r => Find(r) is { } h && ready(h),
            $"host {hostId} in /admin/hosts", TimeSpan.FromSeconds(30));
        Assert.Equal(response.Json["hosts"]!.AsArray().Count, response.Json["count"]!.GetValue<int>());
        return Find(response)!;
    }
}
