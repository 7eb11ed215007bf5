using System.Text.Json.Nodes;
using CimiGrains.Tests.Agents;
using CimiGrains.Tests.PreviousAgentProtocol;
using Grpc.Core;
using Grpc.Net.Client;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// An agent built from the agent.proto that predates resource kinds (a copy kept in Cluster/Protos)
/// still runs Machines against today's cluster: it knows only machine_key and spec, and the cluster
/// must keep filling them and reading its reports by them.
/// </summary>
public sealed class PreviousAgentTests
{
    [Fact]
    public async Task An_agent_from_the_previous_proto_takes_a_Machine_from_create_to_STARTED_and_deletes_it()
    {
        await using var cloud = await AgentCloud.StartAsync("previous-agent");
        var hostId = AgentCloud.NewHostId("old");
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{cloud.AgentPort}");
        using var call = new AgentHub.AgentHubClient(channel).Connect(new Metadata { { "x-cimi-agent-secret", AgentCloud.Secret } });
        await call.RequestStream.WriteAsync(new AgentMessage
        {
            Register = new Register { HostId = hostId, Cpu = 4, MemoryKib = 4L * 1024 * 1024, DiskKib = 1L << 30, Drivers = { "docker" }, AgentVersion = "0.9" },
        });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "the cluster ended the old agent's session");
        Assert.NotNull(call.ResponseStream.Current.Registered);
        await call.RequestStream.WriteAsync(new AgentMessage { Inventory = new Inventory() });

        var (client, template) = await cloud.NewTenantAsync(cpu: 1, memoryKiB: 128 * 1024);
        var created = await client.PostAsync("machines", new JsonObject { ["name"] = "old", ["machineTemplate"] = template.DeepClone() });
        Assert.True(created.Code == 202, $"creating a Machine: {created}");
        var machineId = created.Header("Location")!;

        var create = await NextCommandAsync(call);
        Assert.Equal(CommandKind.Create, create.Kind);
        Assert.Equal(MachineWorkloads.KeyOf(client, machineId), create.MachineKey);
        Assert.Equal("docker:" + DockerCli.DemoImage, create.Spec.ImageLocation);
        Assert.Equal(1, create.Spec.Cpu);
        Assert.True(create.Spec.StartAfterCreate);
        await call.RequestStream.WriteAsync(Answer(create, ObservedState.Running));
        var job = await client.WaitForJobAsync(created.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the create Job: {job}");
        Assert.Equal("STARTED", await MachineWorkloads.StateAsync(client, machineId));
        Assert.Equal(hostId, (await MachineWorkloads.GetAsync(client, machineId))["host"]!.GetValue<string>());

        // An observation the old agent reports by machine_key alone reaches the Machine too.
        await call.RequestStream.WriteAsync(new AgentMessage
        {
            Report = new Report { MachineKey = create.MachineKey, Generation = create.Generation, State = ObservedState.Stopped, Message = "stopped on the host" },
        });
        await MachineWorkloads.WaitStateAsync(client, machineId, "STOPPED");

        var deleted = await client.DeleteAsync(machineId);
        Assert.True(deleted.Code == 202, $"deleting: {deleted}");
        var delete = await NextCommandAsync(call);
        Assert.Equal(CommandKind.Delete, delete.Kind);
        Assert.Equal(create.MachineKey, delete.MachineKey);
        await call.RequestStream.WriteAsync(Answer(delete, ObservedState.Absent));
        var deleteJob = await client.WaitForJobAsync(deleted.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.True(deleteJob["state"]!.GetValue<string>() == "SUCCESS", $"the delete Job: {deleteJob}");
        Assert.Equal(404, (await client.GetAsync(machineId)).Code);
    }

    private static AgentMessage Answer(Command command, ObservedState state) => new()
    {
        Report = new Report
        {
            MachineKey = command.MachineKey, Generation = command.Generation, CommandId = command.CommandId,
            State = state, Succeeded = true, Message = "done by the previous agent",
        },
    };

    /// <summary>The next command on the stream (skipping anything else), within a minute.</summary>
    private static async Task<Command> NextCommandAsync(AsyncDuplexStreamingCall<AgentMessage, ControllerMessage> call)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await call.ResponseStream.MoveNext(cts.Token))
            if (call.ResponseStream.Current.Command is { } command) return command;
        throw new InvalidOperationException("The cluster ended the old agent's session before sending a command.");
    }
}
