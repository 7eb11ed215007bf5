using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Cluster;

/// <summary>What was acknowledged survives SIGKILL of the process that acknowledged it.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task Acknowledged_resources_survive_kill_9_and_a_restart()
    {
        var postgres = await TestDatabase.CreateAsync("durable");
        var ports = FreePorts.Take(3);
        // The recovery's own messages, for the failure report.
        var environment = new Dictionary<string, string> { ["Logging__LogLevel__CimiGrains"] = "Information" };
        var acknowledged = new List<string>();
        string machine, job;
        await using (var first = await GatewayProcess.StartAsync(postgres, environment, ports))
        {
            using var client = await Tenants.CreateAsync(first);
            var credential = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
            var template = await CimiDocs.TemplateAsync(client, credential);
            acknowledged.Add(credential);
            acknowledged.Add(template);
            for (var i = 0; i < 10; i++) acknowledged.Add(await CimiDocs.Created(client, "machineImages", CimiDocs.Image()));
            var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "survivor"));
            Assert.Equal(202, created.Code);
            machine = created.Header("Location")!;
            job = created.Header("CIMI-Job-URI")!;
            acknowledged.Add(machine);
            acknowledged.Add(job);
            var renamed = await client.PutAsync(template, new JsonObject
            {
                ["name"] = "renamed-before-crash",
                ["machineConfig"] = new JsonObject { ["href"] = (await client.GetAsync(template)).Json["machineConfig"].Str("href") },
                ["machineImage"] = new JsonObject { ["href"] = acknowledged[2] },
            });
            Assert.Equal(200, renamed.Code);

            await first.KillAsync();

            // Restarted as an operator would: same configuration, same ports.
            await using var second = await GatewayProcess.StartAsync(postgres, environment, ports);
            using var again = second.Client(client.User, Tenants.Password);
            foreach (var id in acknowledged)
            {
                var relative = id[client.Cimi.Length..];
                var read = await Eventually.Until(() => again.GetAsync(relative), r => r.Code != 503, $"{relative} to be served");
                Assert.True(read.Code == 200, $"{relative} after the crash: {read}");
            }
            Assert.Equal("renamed-before-crash", (await again.GetAsync(acknowledged[1][client.Cimi.Length..])).Json.Str("name"));
            var images = (await again.GetAsync("machineImages")).Json;
            Assert.Equal(11, images["count"]!.GetValue<int>()); // ten here and one made by TemplateAsync

            // The Machine whose creation was accepted before the crash is still there, and its Job ends
            // (there is no host here, so it fails honestly) rather than staying open forever.
            var finished = await WithLogOnTimeout(second, () => Eventually.Until(() => again.GetAsync(job[client.Cimi.Length..]),
                r => r.Code == 200 && r.Json.Str("state") is "SUCCESS" or "FAILED", "the Job to finish after the restart",
                TimeSpan.FromMinutes(3)));
            Assert.Equal("FAILED", finished.Json.Str("state"));
            Assert.Contains("No host is available", finished.Json.Str("statusMessage"));
            Assert.Equal("ERROR", (await again.GetAsync(machine[client.Cimi.Length..])).Json.Str("state"));
        }
    }

    private static async Task<T> WithLogOnTimeout<T>(GatewayProcess gateway, Func<Task<T>> wait)
    {
        try
        {
            return await wait();
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- the restarted gateway's log ---\n{gateway.Log}", e);
        }
    }

    private const string AgentSecret = "durability-secret";

    /// <summary>Free ports (HTTP, silo, gateway, agent) and the environment of a gateway that a ScriptedAgent joins on ports[3].</summary>
    private static (int[] Ports, Dictionary<string, string> Environment) ScriptedAgentCloud()
    {
        var ports = FreePorts.Take(4);
        return (ports, new Dictionary<string, string>
        {
            ["CIMI_AGENT_PORT"] = ports[3].ToString(),
            ["CIMI_AGENT_SECRET"] = AgentSecret,
        });
    }

    [Fact]
    public async Task A_machine_operation_in_flight_at_kill_9_is_finished_after_the_restart()
    {
        var postgres = await TestDatabase.CreateAsync("inflight");
        var (ports, environment) = ScriptedAgentCloud();
        await using var agent = new ScriptedAgent(ports[3], "scripted-host", AgentSecret);
        string machine, job;
        string user;
        await using (var first = await GatewayProcess.StartAsync(postgres, environment, ports))
        {
            await agent.ConnectAsync();
            using var client = await Tenants.CreateAsync(first);
            user = client.User;
            var credential = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
            var template = await CimiDocs.TemplateAsync(client, credential);
            var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "in-flight"));
            Assert.Equal(202, created.Code);
            machine = created.Header("Location")![client.Cimi.Length..];
            job = created.Header("CIMI-Job-URI")![client.Cimi.Length..];

            // The host has the command and has not answered when every process of the cluster dies.
            var sent = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(CimiGrains.Agents.Protocol.CommandKind.Create, sent.Kind);
            await first.KillAsync();
        }

        await using var second = await GatewayProcess.StartAsync(postgres, environment, ports);
        using var again = second.Client(user, Tenants.Password);
        Assert.Equal("CREATING", (await Eventually.Until(() => again.GetAsync(machine), r => r.Code != 503, "the Machine")).Json.Str("state"));
        await agent.ConnectAsync();

        // The restarted cluster asks again, as the same command of the same generation, so a host that
        // had already acted answers instead of acting twice; this one acts now.
        var resent = await agent.NextCommandAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(CimiGrains.Agents.Protocol.CommandKind.Create, resent.Kind);
        await agent.SucceedAsync(resent, CimiGrains.Agents.Protocol.ObservedState.Running);
        var finished = await Eventually.Until(() => again.GetAsync(job), r => r.Json.Str("state") is "SUCCESS" or "FAILED",
            "the Job to finish after the restart");
        Assert.Equal("SUCCESS", finished.Json.Str("state"));
        Assert.Equal("STARTED", (await again.GetAsync(machine)).Json.Str("state"));
    }

    [Fact]
    public async Task A_create_accepted_before_any_host_reconnects_waits_for_one_during_the_grace()
    {
        var postgres = await TestDatabase.CreateAsync("grace");
        var (ports, environment) = ScriptedAgentCloud();
        environment["CIMI_HOST_RECONNECT_GRACE_SECONDS"] = "60";
        await using var gateway = await GatewayProcess.StartAsync(postgres, environment, ports);
        using var client = await Tenants.CreateAsync(gateway);
        var credential = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
        var template = await CimiDocs.TemplateAsync(client, credential);

        // As right after a restart: the cloud answers before its hosts' agents are back.
        var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "early"));
        Assert.Equal(202, created.Code);
        var job = created.Header("CIMI-Job-URI")![client.Cimi.Length..];
        var waiting = await Eventually.Until(() => client.GetAsync(job), r => r.Json.Str("state") is not "QUEUED", "the Job to say what it waits for");
        Assert.Equal("RUNNING", waiting.Json.Str("state"));
        Assert.Contains("Waiting for a host", waiting.Json.Str("statusMessage"));

        await using var agent = new ScriptedAgent(ports[3], "late-host", AgentSecret);
        await agent.ConnectAsync();
        var sent = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CimiGrains.Agents.Protocol.CommandKind.Create, sent.Kind);
        await agent.SucceedAsync(sent, CimiGrains.Agents.Protocol.ObservedState.Running);
        var finished = await Eventually.Until(() => client.GetAsync(job), r => r.Json.Str("state") is "SUCCESS" or "FAILED",
            "the Job to finish once a host connected");
        Assert.Equal("SUCCESS", finished.Json.Str("state"));
    }
}
