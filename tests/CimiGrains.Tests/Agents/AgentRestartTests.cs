using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

/// <summary>The only agent is killed (SIGKILL) with operations in flight and restarted 3 s later.</summary>
public sealed class AgentRestartTests
{
    private const int Grace = 30;

    /// <summary>Enough CPUs on offer for all nine Machines (each takes one).</summary>
    private static readonly Dictionary<string, string> Host = new() { ["CIMI_AGENT_CPU"] = "16" };

    [Fact]
    public async Task Operations_across_an_agent_kill_9_all_succeed_and_every_Job_agrees_with_its_Machine()
    {
        await using var cloud = await AgentCloud.StartAsync("restart",
            gatewayEnvironment: new Dictionary<string, string> { ["CIMI_HOST_RECONNECT_GRACE_SECONDS"] = Grace.ToString() });
        var hostId = AgentCloud.NewHostId("rs");
        var agent = await cloud.StartAgentAsync(hostId, Host);
        // The scheduler starts with the host's first report; only the host's own reconnect grace may
        // make the creates below wait, so the scheduler's start-up grace must be over first.
        var schedulerGraceOver = DateTime.UtcNow.AddSeconds(Grace + 1);
        var (client, template) = await cloud.NewTenantAsync();
        var running = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => CreateAsync(client, template)));
        if (DateTime.UtcNow < schedulerGraceOver) await Task.Delay(schedulerGraceOver - DateTime.UtcNow);

        // Sent just before the agent dies: stops of the running Machines and new creates; then more creates
        // while it is away.
        var expected = new List<(CimiResponse Accepted, string Machine, string State)>();
        var stops = running.Select(async m => (await client.PostAsync(m.Id, CimiDocs.Action("stop")), m.Id, "STOPPED"));
        var creates = Enumerable.Range(0, 3).Select(async _ => await Create(client, template));
        expected.AddRange(await Task.WhenAll(stops.Concat(creates)));
        await agent.KillAsync();
        expected.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Create(client, template))));
        foreach (var (accepted, machine, _) in expected) Assert.True(accepted.Code == 202, $"{machine}: {accepted}");

        // The outage the finding describes: the agent is back after 3 s, with the same host id and state.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var again = await cloud.StartAgentAsync(hostId, Host);

        foreach (var (accepted, machine, state) in expected)
        {
            var job = await client.WaitForJobAsync(accepted.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(90));
            Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the Job of {machine}: {job}\n--- agent ---\n{again.Log}");
            await WaitStateAsync(client, machine, state);
        }

        // Every Job of the tenant agrees with the Machine it acted on.
        var all = await client.GetAsync("jobs");
        foreach (var job in all.Json["jobs"]!.AsArray().Select(j => j!.AsObject()))
        {
            var target = job["targetResource"]!["href"]!.GetValue<string>();
            var machine = await client.GetAsync(target);
            var machineState = machine.Json.Str("state");
            if (machineState is "STARTED" or "STOPPED")
                Assert.True(job.Str("state") == "SUCCESS", $"{target} is {machineState} but its Job says {job.ToJsonString()}");
        }
    }

    private static async Task<(CimiResponse Accepted, string Machine, string State)> Create(CimiClient client, JsonObject template)
    {
        var response = await client.PostAsync("machines", new JsonObject { ["name"] = "m", ["machineTemplate"] = template.DeepClone() });
        return (response, response.Header("Location") ?? "(none)", "STARTED");
    }
}
