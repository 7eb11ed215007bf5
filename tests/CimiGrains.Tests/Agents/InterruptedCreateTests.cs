using CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents;

/// <summary>
/// An agent killed between creating a Machine's container and copying its files into it (issue 9): the
/// repeated create must not start the container without its credential and userData.
/// </summary>
public sealed class InterruptedCreateTests
{
    [Fact]
    public async Task A_repeated_create_of_a_never_started_container_copies_its_files_before_starting_it()
    {
        await DockerCli.RequireAsync();
        await using var controller = await FakeController.StartAsync();
        var hostId = AgentCloud.NewHostId("halfmade");
        var key = $"half-{Guid.NewGuid():N}"[..20] + "/m1";
        var agent = AgentProcess.Start(hostId, controller.Url, FakeController.Secret);
        try
        {
            var session = await controller.NextSessionAsync();
            await session.InventoryAsync();
            var created = await session.RunAsync(Create(key, start: false));
            Assert.True(created.Succeeded, $"the create failed: {created}");
            var container = (await DockerCli.ContainersOfAsync(key)).Single();

            // The state a kill -9 right after the container create leaves: the container exists, never
            // started, and its files volume is empty.
            await DockerCli.RunAsync("run", "--rm", "--network", "none", "--volumes-from", container, DockerCli.DemoImage,
                "sh", "-c", "rm -f /run/cimi/*");

            // The cluster repeats the create (same generation, now to be started) after the agent comes back.
            var repeated = await session.RunAsync(Create(key, start: true));
            Assert.True(repeated.Succeeded, $"the repeated create failed: {repeated}");
            Assert.Equal([container], await DockerCli.ContainersOfAsync(key));
            var files = await DockerCli.RunAsync("exec", container, "cat", "/run/cimi/admin-password");
            Assert.Equal("half-made-secret", files.Trim());
        }
        finally
        {
            await agent.DisposeAsync();
            await DockerCli.RemoveHostContainersAsync(hostId);
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
        }
    }

    private static Command Create(string key, bool start) => new()
    {
        CommandId = Guid.NewGuid().ToString("N"),
        MachineKey = key,
        Generation = 1,
        Kind = CommandKind.Create,
        Spec = new MachineSpec
        {
            ImageLocation = "docker:" + DockerCli.DemoImage, Cpu = 1, MemoryKib = 64 * 1024,
            TenantId = key.Split('/')[0], AdminPassword = "half-made-secret", StartAfterCreate = start,
        },
    };
}
