using CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents;

/// <summary>Generation fencing in a real agent against the real Docker engine, driven by a fake controller.</summary>
public sealed class FencingTests
{
    [Fact]
    public async Task A_stale_command_after_an_agent_restart_is_refused_and_does_not_undo_the_newer_state()
    {
        await DockerCli.RequireAsync();
        await using var controller = await FakeController.StartAsync();
        var hostId = AgentCloud.NewHostId("fence");
        var state = Directory.CreateTempSubdirectory("cimi-agent-state-");
        var environment = new Dictionary<string, string> { ["CIMI_AGENT_STATE_DIR"] = state.FullName };
        var key = $"fence-{Guid.NewGuid():N}"[..20] + "/m1";
        var agent = AgentProcess.Start(hostId, controller.Url, FakeController.Secret, environment);
        try
        {
            var session = await controller.NextSessionAsync();
            await session.InventoryAsync();
            Assert.True((await session.RunAsync(Create(key, 1))).Succeeded);
            Assert.Equal(ObservedState.Stopped, Succeeded(await session.RunAsync(Action(key, 2, CommandKind.Stop))).State);
            Assert.Equal(ObservedState.Running, Succeeded(await session.RunAsync(Action(key, 3, CommandKind.Start))).State);
            var container = (await DockerCli.ContainersOfAsync(key)).Single();
            Assert.Equal("1", (await DockerCli.InspectAsync(container))["Config"]!["Labels"]!["cimigrains.generation"]!.GetValue<string>());

            // A crash: the agent's memory is gone; the container's label still says generation 1.
            await agent.KillAsync();
            await agent.DisposeAsync();
            agent = AgentProcess.Start(hostId, controller.Url, FakeController.Secret, environment);
            session = await controller.NextSessionAsync();
            var workload = (await session.InventoryAsync()).Workloads.Single(w => w.MachineKey == key);
            Assert.Equal(1, workload.Generation);
            Assert.Equal(3, workload.FenceGeneration);

            // The stop of generation 2 arrives late (say, re-sent by an old activation): it must not act.
            var stale = await session.RunAsync(Action(key, 2, CommandKind.Stop));
            Assert.False(stale.Succeeded, $"the stale stop was carried out: {stale}");
            Assert.Contains("stale", stale.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(ObservedState.Running, stale.State);
            Assert.Equal("running", await DockerCli.StateOfAsync(key));
            Assert.Equal([container], await DockerCli.ContainersOfAsync(key));

            // A stale create is refused too; current generations still act.
            Assert.False((await session.RunAsync(Create(key, 2))).Succeeded);
            Assert.Equal(ObservedState.Stopped, Succeeded(await session.RunAsync(Action(key, 4, CommandKind.Stop))).State);
            Assert.Equal("exited", await DockerCli.StateOfAsync(key));
            Assert.Equal(ObservedState.Absent, Succeeded(await session.RunAsync(Action(key, 5, CommandKind.Delete))).State);
            Assert.Equal("absent", await DockerCli.StateOfAsync(key));
        }
        finally
        {
            await agent.DisposeAsync();
            await DockerCli.RemoveHostContainersAsync(hostId);
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
            state.Delete(recursive: true);
        }
    }

    private static Report Succeeded(Report report)
    {
        Assert.True(report.Succeeded, $"the agent failed the command: {report}");
        return report;
    }

    private static Command Create(string key, long generation) => new()
    {
        CommandId = Guid.NewGuid().ToString("N"),
        MachineKey = key,
        Generation = generation,
        Kind = CommandKind.Create,
        Spec = new MachineSpec
        {
            ImageLocation = "docker:" + DockerCli.DemoImage, Cpu = 1, MemoryKib = 64 * 1024,
            TenantId = key.Split('/')[0], StartAfterCreate = true,
        },
    };

    private static Command Action(string key, long generation, CommandKind kind) => new()
    {
        CommandId = Guid.NewGuid().ToString("N"), MachineKey = key, Generation = generation, Kind = kind, Force = kind == CommandKind.Delete,
    };
}
