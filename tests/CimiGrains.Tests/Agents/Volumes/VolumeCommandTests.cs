using CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>ATTACH_VOLUME and DETACH_VOLUME in a real agent, sent by a fake controller, against the real Docker engine.</summary>
public sealed class VolumeCommandTests
{
    [Fact]
    public async Task Attaching_a_volume_this_host_does_not_hold_fails_naming_it_and_detaching_one_not_attached_succeeds()
    {
        await DockerCli.RequireAsync();
        await using var controller = await FakeController.StartAsync();
        var hostId = AgentCloud.NewHostId("volcmd");
        var state = Directory.CreateTempSubdirectory("cimi-agent-state-");
        var key = $"volcmd-{Guid.NewGuid():N}"[..20] + "/m1";
        var volume = key.Split('/')[0] + "/elsewhere";
        var agent = AgentProcess.Start(hostId, controller.Url, FakeController.Secret, new Dictionary<string, string> { ["CIMI_AGENT_STATE_DIR"] = state.FullName });
        try
        {
            var session = await controller.NextSessionAsync();
            await session.InventoryAsync();
            var created = await session.RunAsync(new Command
            {
                CommandId = Guid.NewGuid().ToString("N"), MachineKey = key, Generation = 1, Kind = CommandKind.Create,
                Spec = new MachineSpec { ImageLocation = "docker:" + DockerCli.DemoImage, Cpu = 1, MemoryKib = 64 * 1024, TenantId = key.Split('/')[0], StartAfterCreate = true },
            });
            Assert.True(created.Succeeded, created.Message);

            var attach = await session.RunAsync(Command(key, CommandKind.AttachVolume, new VolumeAttachment
            {
                VolumeId = volume, InitialLocation = "/data", Format = "ext4", HostId = "host-b",
            }));
            Assert.False(attach.Succeeded, "a volume of no pool here was attached");
            Assert.Contains(volume, attach.Message);
            Assert.Contains("host-b", attach.Message);
            Assert.Equal(ObservedState.Running, attach.State);

            var detach = await session.RunAsync(Command(key, CommandKind.DetachVolume, new VolumeAttachment { VolumeId = volume }));
            Assert.True(detach.Succeeded, detach.Message);
            Assert.Equal(ObservedState.Running, detach.State);
        }
        finally
        {
            await agent.DisposeAsync();
            await DockerCli.RemoveHostContainersAsync(hostId);
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
            state.Delete(recursive: true);
        }
    }

    private static Command Command(string key, CommandKind kind, VolumeAttachment attachment) => new()
    {
        CommandId = Guid.NewGuid().ToString("N"), MachineKey = key, Generation = 1, Kind = kind, Attachment = attachment,
    };
}
