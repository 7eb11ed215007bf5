using System.Text.Json.Nodes;
using CimiGrains.Agents.Protocol;
using ResourceKind = CimiGrains.Agents.Protocol.ResourceKind;
using CimiGrains.Tests.Http;
using CimiGrains.Tests.Http.Volumes;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// kill -9 of the whole cluster while a Machine's attach or detach of a Volume is with its host and unanswered
/// (docs/VOLUMES.md, "Crashes"): after the restart, with no request about the Machine, the host is asked again
/// (same command, same generation) when it reconnects, and its answer ends the operation; the Volume and the
/// Machine then agree. The silo-start sweep wakes the Machine first, by its pending-operation reminder (its state
/// is settled, so the read model does not show the operation).
/// </summary>
public sealed class VolumeAttachDurabilityTests
{
    private const string AgentSecret = "volume-durability-secret";
    private const long GiB = 1024 * 1024;

    [Fact]
    public async Task An_attach_and_a_detach_in_flight_at_kill_9_are_finished_after_the_restart()
    {
        var postgres = await TestDatabase.CreateAsync("volinflight");
        var ports = FreePorts.Take(4);
        var environment = new Dictionary<string, string>
        {
            ["CIMI_AGENT_PORT"] = ports[3].ToString(),
            ["CIMI_AGENT_SECRET"] = AgentSecret,
            ["Logging__LogLevel__CimiGrains"] = "Information",
        };
        await using var agent = new ScriptedAgent(ports[3], "scripted-volume-host", AgentSecret, volumePoolKiB: 10 * GiB);
        string user, machine, volume, attachJob;
        Command create, volumeCreate;
        await using (var first = await GatewayProcess.StartAsync(postgres, environment, ports))
        {
            await agent.ConnectAsync();
            using var client = await Tenants.CreateAsync(first);
            user = client.User;
            (machine, create) = await RunningMachineAsync(client, agent);
            (volume, volumeCreate) = await AvailableVolumeAsync(client, agent);

            var attach = await client.PostAsync($"{machine}/volumes", new JsonObject
            {
                ["volume"] = new JsonObject { ["href"] = volume }, ["initialLocation"] = "/data",
            });
            Assert.True(attach.Code == 202, $"the attach: {attach}");
            attachJob = attach.Header("CIMI-Job-URI")![client.Cimi.Length..];
            // The host has the command and has not answered when every process of the cluster dies.
            var sent = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(CommandKind.AttachVolume, sent.Kind);
            await first.KillAsync();
        }

        string detachJob;
        await using (var second = await RestartAsync(postgres, environment, ports, agent, create, volumeCreate))
        {
            using var again = second.Client(user, Tenants.Password);
            await AnswerResentAsync(agent, again, second, CommandKind.AttachVolume, attachJob);
            var entry = Assert.Single((await again.GetAsync($"{machine}/volumes")).Json["machineVolumes"]!.AsArray())!;
            Assert.Equal("attached", entry["properties"]!["cimigrains.attachment"]!.GetValue<string>());
            var attachedTo = (await again.GetAsync(volume)).Json["attachedTo"]!.AsArray();
            Assert.EndsWith(machine, Assert.Single(attachedTo)!["href"]!.GetValue<string>());
            // Confirmed, so it holds the Volume: a delete is refused naming the Machine.
            Assert.Equal(409, (await again.DeleteAsync(volume)).Code);

            var detach = await again.DeleteAsync($"{machine}/volumes/{volume.Split('/')[^1]}");
            Assert.True(detach.Code == 202, $"the detach: {detach}");
            detachJob = detach.Header("CIMI-Job-URI")![again.Cimi.Length..];
            var sent = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(CommandKind.DetachVolume, sent.Kind);
            await second.KillAsync();
        }

        await using (var third = await RestartAsync(postgres, environment, ports, agent, create, volumeCreate))
        {
            using var again = third.Client(user, Tenants.Password);
            await AnswerResentAsync(agent, again, third, CommandKind.DetachVolume, detachJob);
            Assert.Empty((await again.GetAsync($"{machine}/volumes")).Json["machineVolumes"]?.AsArray() ?? []);
            Assert.Null((await again.GetAsync(volume)).Json["attachedTo"]);
            Assert.Equal("STARTED", (await again.GetAsync(machine)).Json.Str("state"));
            // Released: the Volume can go.
            Assert.Equal(202, (await again.DeleteAsync(volume)).Code);
        }
    }

    [Fact]
    public async Task At_reconnection_the_inventorys_attached_volumes_are_made_to_agree_with_the_machine()
    {
        var postgres = await TestDatabase.CreateAsync("volinventory");
        var ports = FreePorts.Take(4);
        var environment = new Dictionary<string, string> { ["CIMI_AGENT_PORT"] = ports[3].ToString(), ["CIMI_AGENT_SECRET"] = AgentSecret };
        await using var agent = new ScriptedAgent(ports[3], "scripted-inventory-host", AgentSecret, volumePoolKiB: 10 * GiB);
        await using var gateway = await GatewayProcess.StartAsync(postgres, environment, ports);
        await agent.ConnectAsync();
        using var client = await Tenants.CreateAsync(gateway);
        var (machine, create) = await RunningMachineAsync(client, agent);
        var (volume, volumeCreate) = await AvailableVolumeAsync(client, agent);
        var attach = await client.PostAsync($"{machine}/volumes", new JsonObject { ["volume"] = new JsonObject { ["href"] = volume }, ["initialLocation"] = "/data" });
        Assert.True(attach.Code == 202, $"the attach: {attach}");
        var attached = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        await agent.SucceedAsync(attached, ObservedState.Running);
        await client.WaitForJobAsync(attach.Header("CIMI-Job-URI")!);
        var succeeded = Succeeded((await client.GetAsync("jobs")).Json);

        // The agent comes back without the Volume on the Machine (its record was lost): the cluster attaches it again.
        await agent.DropAsync();
        await agent.ConnectAsync(Inventory(create, volumeCreate));
        var again = await agent.NextCommandAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(CommandKind.AttachVolume, again.Kind);
        Assert.Equal(attached.Attachment, again.Attachment);
        await agent.SucceedAsync(again, ObservedState.Running);
        // Its answer must have ended that operation before the agent drops: an answer still in the stream at the drop is
        // rightly lost, and the reconnection would send the attach again instead.
        await Eventually.Until(() => client.GetAsync("jobs"), r => Succeeded(r.Json) == succeeded + 1,
            "the re-attach's Job to succeed");

        // Then with the Volume and one the Machine never had (of its tenant): that one is detached on the host.
        var stray = create.MachineKey.Split('/')[0] + "/never-attached";
        await agent.DropAsync();
        await agent.ConnectAsync(Inventory(create, volumeCreate, volumeCreate.ResourceId, stray));
        var detach = await agent.NextCommandAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(CommandKind.DetachVolume, detach.Kind);
        Assert.Equal(stray, detach.Attachment.VolumeId);
        await agent.SucceedAsync(detach, ObservedState.Running);

        await Eventually.Until(() => client.GetAsync($"{machine}/volumes"), r => r.Json["machineVolumes"]?.AsArray().Count == 1,
            "the Machine's volumes to hold only its own Volume again");
        var entry = Assert.Single((await client.GetAsync($"{machine}/volumes")).Json["machineVolumes"]!.AsArray())!;
        Assert.Equal("attached", entry["properties"]!["cimigrains.attachment"]!.GetValue<string>());
        Assert.EndsWith(machine, Assert.Single((await client.GetAsync(volume)).Json["attachedTo"]!.AsArray())!["href"]!.GetValue<string>());
    }

    private static int Succeeded(JsonNode? jobs) => jobs?["jobs"]?.AsArray().Count(j => j.Str("state") == "SUCCESS") ?? 0;

    /// <summary>What a real agent lists: the Machine (with <paramref name="attachedVolumes"/>) and the Volume.</summary>
    private static Inventory Inventory(Command create, Command volumeCreate, params string[] attachedVolumes) => new()
    {
        Workloads =
        {
            new Workload { MachineKey = create.MachineKey, ResourceId = create.ResourceId, Generation = create.Generation,
                State = ObservedState.Running, FenceGeneration = create.Generation, AttachedVolumes = { attachedVolumes } },
            new Workload { ResourceKind = ResourceKind.Volume, ResourceId = volumeCreate.ResourceId, Generation = volumeCreate.Generation,
                State = ObservedState.Created, FenceGeneration = volumeCreate.Generation },
        },
    };

    /// <summary>Starts the killed cluster again and reconnects the agent, which lists its workloads as a real agent would.</summary>
    private static async Task<GatewayProcess> RestartAsync(string postgres, Dictionary<string, string> environment, int[] ports,
        ScriptedAgent agent, Command create, Command volumeCreate)
    {
        await agent.DropAsync();
        var gateway = await GatewayProcess.StartAsync(postgres, environment, ports);
        // The silo-start sweep finds the Machine, whose state is settled, by its pending-operation reminder.
        await Eventually.Until(() => Task.FromResult(gateway.Log), log => log.Contains("Machine (by their pending-operation reminder)", StringComparison.Ordinal),
            "the silo-start sweep to wake the Machine by its reminder");
        await agent.ConnectAsync(Inventory(create, volumeCreate));
        return gateway;
    }

    /// <summary>The host is asked again, as the same command of the same generation, with no request about the Machine;
    /// its answer ends the operation and the Job.</summary>
    private static async Task AnswerResentAsync(ScriptedAgent agent, CimiClient again, GatewayProcess gateway, CommandKind kind, string job)
    {
        var resent = await agent.NextCommandAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(kind, resent.Kind);
        await agent.SucceedAsync(resent, ObservedState.Running);
        var finished = await Eventually.Until(() => again.GetAsync(job), r => r.Code == 200 && r.Json.Str("state") is "SUCCESS" or "FAILED",
            $"the {kind} Job to finish after the restart");
        Assert.True(finished.Json.Str("state") == "SUCCESS", $"the {kind} Job: {finished}\n--- gateway ---\n{gateway.Log}");
    }

    private static async Task<(string Machine, Command Create)> RunningMachineAsync(CimiClient client, ScriptedAgent agent)
    {
        var credential = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
        var template = await CimiDocs.TemplateAsync(client, credential);
        var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "with-volume"));
        Assert.Equal(202, created.Code);
        var create = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(CommandKind.Create, create.Kind);
        await agent.SucceedAsync(create, ObservedState.Running);
        await client.WaitForJobAsync(created.Header("CIMI-Job-URI")!);
        return (created.Header("Location")![client.Cimi.Length..], create);
    }

    private static async Task<(string Volume, Command Create)> AvailableVolumeAsync(CimiClient client, ScriptedAgent agent)
    {
        var config = await CimiDocs.Created(client, "volumeConfigs", VolumeDocs.Configuration(GiB));
        var created = await client.PostAsync("volumes", VolumeDocs.Create(new JsonObject { ["volumeConfig"] = new JsonObject { ["href"] = config } }));
        Assert.True(created.Code == 202, $"the volume create: {created}");
        var create = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ResourceKind.Volume, create.ResourceKind);
        await agent.SucceedVolumeAsync(create, ObservedState.Created);
        await client.WaitForJobAsync(created.Header("CIMI-Job-URI")!);
        return (created.Header("Location")![client.Cimi.Length..], create);
    }
}
