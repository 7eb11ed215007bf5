using System.Diagnostics;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Protocol;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// What issue 11 added to the agent stream, seen from an agent the test plays: a create carries the
/// MachineConfiguration's disks, and a console read of an agent that never answers (one that predates
/// consoles ignores the request) ends in a bounded time with 503, never hanging the consumer.
/// </summary>
public sealed class AgentStreamExtensionTests
{
    private const string Secret = "stream-extension-secret";

    [Fact]
    public async Task A_create_command_carries_the_configuration_disks_and_a_silent_agent_console_read_ends_in_503_within_its_bound()
    {
        var postgres = await TestDatabase.CreateAsync("stream-ext");
        var ports = FreePorts.Take(4);
        await using var gateway = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string>
        {
            ["CIMI_AGENT_PORT"] = ports[3].ToString(),
            ["CIMI_AGENT_SECRET"] = Secret,
        }, ports);
        await using var agent = new ScriptedAgent(ports[3], "disk-host", Secret);
        await agent.ConnectAsync();
        using var client = await Tenants.CreateAsync(gateway);
        var config = await CimiDocs.Created(client, "machineConfigs", new JsonObject
        {
            ["name"] = "with-disks", ["cpu"] = 1, ["memory"] = 262144,
            ["disks"] = new JsonArray(
                new JsonObject { ["capacity"] = 1048576, ["format"] = "qcow2", ["initialLocation"] = "/dev/vdb" },
                new JsonObject { ["capacity"] = 2048 }),
        });
        var image = await CimiDocs.Created(client, "machineImages", CimiDocs.Image());
        var template = await CimiDocs.Created(client, "machineTemplates", CimiDocs.Template(config, image));

        var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template));
        Assert.Equal(202, created.Code);
        var command = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CommandKind.Create, command.Kind);
        Assert.Collection(command.Spec.Disks,
            d => Assert.Equal((1048576L, "qcow2", "/dev/vdb"), (d.CapacityKib, d.Format, d.InitialLocation)),
            d => Assert.Equal((2048L, "", ""), (d.CapacityKib, d.Format, d.InitialLocation)));
        await agent.SucceedAsync(command, ObservedState.Running);
        await client.WaitForJobAsync(created.JobUri());

        // The scripted agent hands the test its commands only: a console request goes unanswered.
        var machine = created.Header("Location")!;
        var watch = Stopwatch.StartNew();
        var silent = await client.GetAsync(machine + "/console");
        Assert.True(silent.Code == 503 && silent.Json.Str("message").Contains("did not answer the console request within 5 s"),
            $"the console of a silent agent: {silent}\n{gateway.Log}");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"the silent agent held the console request {watch.Elapsed}");

        // Meanwhile the Machine and its host kept answering: nothing queued behind the wait.
        var reading = client.GetAsync(machine + "/console");
        var during = Stopwatch.StartNew();
        Assert.Equal(200, (await client.GetAsync(machine)).Code);
        Assert.True(during.Elapsed < TimeSpan.FromSeconds(5), $"reading the Machine took {during.Elapsed} while its console was read");
        Assert.Equal(503, (await reading).Code);
    }
}
