using System.Text.Json.Nodes;
using CimiGrains.Agents.Protocol;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// A host whose agent restarts (its session drops, it comes back seconds later) is waited for: creates
/// accepted meanwhile wait for it, and operations it had not confirmed end as its inventory says, so a
/// Job never disagrees with its Machine. The scripted agent lets the test drop a session at the exact
/// moment an operation is in flight.
/// </summary>
public sealed class HostReconnectTests
{
    private const string Secret = "reconnect-secret";

    private static (int[] Ports, Dictionary<string, string> Environment) Cloud(int graceSeconds)
    {
        var ports = FreePorts.Take(4);
        return (ports, new Dictionary<string, string>
        {
            ["CIMI_AGENT_PORT"] = ports[3].ToString(),
            ["CIMI_AGENT_SECRET"] = Secret,
            ["CIMI_HOST_RECONNECT_GRACE_SECONDS"] = graceSeconds.ToString(),
        });
    }

    private static Task<CimiResponse> HostLostSeen(CimiClient client, string machine) =>
        Eventually.Until(() => client.GetAsync(machine),
            r => r.Code == 200 && r.Json["properties"]?["cimigrains.hostStatus"] is not null,
            $"{machine} to say its host is unreachable");

    private static Task<CimiResponse> Finished(CimiClient client, string job, string what) =>
        Eventually.Until(() => client.GetAsync(job), r => r.Code == 200 && r.Json.Str("state") is "SUCCESS" or "FAILED",
            what, TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Operations_in_flight_when_the_agent_restarts_end_as_its_inventory_says()
    {
        var postgres = await TestDatabase.CreateAsync("reconcile");
        var (ports, environment) = Cloud(graceSeconds: 60);
        await using var gateway = await GatewayProcess.StartAsync(postgres, environment, ports);
        await using var agent = new ScriptedAgent(ports[3], "restarting-host", Secret);
        await agent.ConnectAsync();
        using var client = await Tenants.CreateAsync(gateway);
        var template = await CimiDocs.TemplateAsync(client, await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate()));

        // M1 runs; then a stop of M1 and the create of M2 are both sent and neither is answered.
        var first = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "m1"));
        var m1 = first.Header("Location")![client.Cimi.Length..];
        var m1Create = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        await agent.SucceedAsync(m1Create, ObservedState.Running);
        Assert.Equal("SUCCESS", (await Finished(client, first.Header("CIMI-Job-URI")![client.Cimi.Length..], "M1's create")).Json.Str("state"));

        var second = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "m2"));
        Assert.Equal(202, second.Code);
        var m2 = second.Header("Location")![client.Cimi.Length..];
        var m2Job = second.Header("CIMI-Job-URI")![client.Cimi.Length..];
        var m2Create = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        var stop = await client.PostAsync(m1, CimiDocs.Action("stop"));
        Assert.Equal(202, stop.Code);
        var stopJob = stop.Header("CIMI-Job-URI")![client.Cimi.Length..];
        var m1Stop = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CommandKind.Stop, m1Stop.Kind);

        // The agent dies (M2's container was made and runs, M1's stop never happened) and the cluster
        // notices before it is back.
        await agent.DropAsync();
        await HostLostSeen(client, m1);
        await HostLostSeen(client, m2);
        var inventory = new Inventory();
        inventory.Workloads.Add(new Workload
        {
            MachineKey = m2Create.MachineKey, Generation = m2Create.Generation, FenceGeneration = m2Create.Generation,
            State = ObservedState.Running, ContainerId = "c-m2",
        });
        inventory.Workloads.Add(new Workload
        {
            MachineKey = m1Create.MachineKey, Generation = m1Create.Generation, FenceGeneration = m1Stop.Generation,
            State = ObservedState.Running, ContainerId = "c-m1",
        });
        await agent.ConnectAsync(inventory);

        // M2's create reached its target on the host: the inventory says so, and no command is needed.
        var created = await Finished(client, m2Job, "M2's create Job to end after the agent returned");
        Assert.True(created.Json.Str("state") == "SUCCESS", created.ToString());
        Assert.Equal("STARTED", (await client.GetAsync(m2)).Json.Str("state"));

        // M1 still runs, so its stop is asked for again (the same command): the host's answer decides.
        var resent = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(m1Stop.CommandId, resent.CommandId);
        await agent.FailAsync(resent, ObservedState.Running);
        var stopped = await Finished(client, stopJob, "M1's stop Job to end after the agent returned");
        Assert.Equal("FAILED", stopped.Json.Str("state"));
        Assert.Equal("STARTED", (await client.GetAsync(m1)).Json.Str("state"));
        foreach (var machine in new[] { m1, m2 })
            Assert.Null((await client.GetAsync(machine)).Json["properties"]?["cimigrains.hostStatus"]);
    }

    [Fact]
    public async Task A_create_accepted_while_the_only_agent_reconnects_waits_for_it_and_succeeds()
    {
        const int grace = 12;
        var postgres = await TestDatabase.CreateAsync("rewait");
        var (ports, environment) = Cloud(grace);
        await using var gateway = await GatewayProcess.StartAsync(postgres, environment, ports);
        await using var agent = new ScriptedAgent(ports[3], "the-only-host", Secret);
        await agent.ConnectAsync();
        // The scheduler is activated by the host's first report, at this connection; its own start-up
        // grace must be over, so that only the host's reconnect grace can make the create wait.
        var schedulerGraceOver = DateTime.UtcNow.AddSeconds(grace + 1);
        using var client = await Tenants.CreateAsync(gateway);
        var template = await CimiDocs.TemplateAsync(client, await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate()));
        var first = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "before"));
        var before = first.Header("Location")![client.Cimi.Length..];
        var firstCreate = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        await agent.SucceedAsync(firstCreate, ObservedState.Running);
        await Finished(client, first.Header("CIMI-Job-URI")![client.Cimi.Length..], "the first create");
        if (DateTime.UtcNow < schedulerGraceOver) await Task.Delay(schedulerGraceOver - DateTime.UtcNow);

        await agent.DropAsync();
        await HostLostSeen(client, before);
        var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "meanwhile"));
        Assert.Equal(202, created.Code);
        var job = created.Header("CIMI-Job-URI")![client.Cimi.Length..];
        var waiting = await Eventually.Until(() => client.GetAsync(job),
            r => r.Json.Str("state") is not "QUEUED" && r.Json.Str("statusMessage") is not "Creating the Machine: choosing a host.",
            "the Job to say what it waits for");
        Assert.True(waiting.Json.Str("state") == "RUNNING", waiting.ToString());
        Assert.Contains("Waiting for a host", waiting.Json.Str("statusMessage"));

        // The agent is back (its running workload listed); the waiting create goes to it.
        var inventory = new Inventory();
        inventory.Workloads.Add(new Workload
        {
            MachineKey = firstCreate.MachineKey, Generation = firstCreate.Generation, FenceGeneration = firstCreate.Generation,
            State = ObservedState.Running, ContainerId = "c-before",
        });
        await agent.ConnectAsync(inventory);
        var sent = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CommandKind.Create, sent.Kind);
        await agent.SucceedAsync(sent, ObservedState.Running);
        var finished = await Finished(client, job, "the waiting create to finish once the agent reconnected");
        Assert.True(finished.Json.Str("state") == "SUCCESS", finished.ToString());
        Assert.Equal("STARTED", (await client.GetAsync(created.Header("Location")![client.Cimi.Length..])).Json.Str("state"));
        Assert.Equal("STARTED", (await client.GetAsync(before)).Json.Str("state"));
    }
}
