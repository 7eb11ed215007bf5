extern alias agents;
using CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// kill -9 of a real agent in the middle of a container's ATTACH_VOLUME or DETACH_VOLUME (docs/VOLUMES.md, "Crashes"),
/// at each step the Docker driver takes, reached exactly through the agent's test pause (<c>CIMI_AGENT_TEST_PAUSE_AT</c>).
/// After the restart the host is in one of two clean states, and its inventory says which: the Volume attached (one
/// loop device, one host mount, mounted in the container) or not attached (no loop device, no mount anywhere). Then
/// the cluster's re-sent command (same id, same generation) ends the operation, and it is done exactly once.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InterruptedAttachTests
{
    private const long MiB = 1024;

    [Theory]
    [InlineData("docker-attach-volume:recorded", "docker-detach-volume:unmounted")]
    [InlineData("docker-attach-volume:host-mounted", "docker-detach-volume:recorded")]
    [InlineData("docker-attach-volume:mounted", "docker-detach-volume:unmounted")]
    public async Task Kill_9_in_the_middle_of_an_attach_and_a_detach_converges_with_nothing_leaked(string attachStep, string detachStep)
    {
        await using var agent = await VolumeAgent.StartAsync();
        var volume = VolumeAgent.NewKey();
        var machine = volume.Split('/')[0] + "/m1";
        var created = await agent.Session.RunAsync(VolumeAgent.Create(volume, 1, 32 * MiB));
        Assert.True(created.Succeeded, created.Message);
        var machineCreated = await agent.Session.RunAsync(new Command
        {
            CommandId = Guid.NewGuid().ToString("N"), MachineKey = machine, ResourceId = machine, Generation = 1, Kind = CommandKind.Create,
            Spec = new MachineSpec { ImageLocation = "docker:" + DockerCli.DemoImage, Cpu = 1, MemoryKib = 64 * 1024, TenantId = machine.Split('/')[0], StartAfterCreate = true },
        });
        Assert.True(machineCreated.Succeeded, machineCreated.Message);

        // The attach, killed at its step.
        var attach = Command(machine, 2, CommandKind.AttachVolume, new VolumeAttachment
        {
            VolumeId = volume, InitialLocation = "/data", Format = "ext4", HostId = agent.HostId, CapacityKib = 32 * MiB,
        });
        await KilledAtAsync(agent, attachStep, attach);
        var afterAttach = await agent.RestartAsync();
        await AssertCleanAsync(agent, afterAttach, machine, volume);
        // The cluster asks again; the host ends it done, once.
        var attached = await agent.Session.RunAsync(attach);
        Assert.True(attached.Succeeded, attached.Message);
        await AssertCleanAsync(agent, null, machine, volume, expectAttached: true);
        Assert.True((await DockerVolumeHost.ShAsync(machine, "echo kept > /data/note && cat /data/note")).Ok);

        // The detach, killed at its step.
        var detach = Command(machine, 3, CommandKind.DetachVolume, new VolumeAttachment { VolumeId = volume });
        await KilledAtAsync(agent, detachStep, detach);
        var afterDetach = await agent.RestartAsync();
        await AssertCleanAsync(agent, afterDetach, machine, volume);
        var detached = await agent.Session.RunAsync(detach);
        Assert.True(detached.Succeeded, detached.Message);
        await AssertCleanAsync(agent, null, machine, volume, expectAttached: false);

        // The data written while it was attached is in the Volume, and the Volume can go (nothing holds its file).
        var again = await agent.Session.RunAsync(Command(machine, 4, CommandKind.AttachVolume, attach.Attachment));
        Assert.True(again.Succeeded, again.Message);
        Assert.Equal("kept", (await DockerVolumeHost.ShAsync(machine, "cat /data/note")).Output.Trim());
        Assert.True((await agent.Session.RunAsync(Command(machine, 5, CommandKind.Delete, null))).Succeeded);
        Assert.Empty(await Eventually.Until(() => LoopDevicesAsync(agent, volume), l => l.Count == 0, "the loop device to go with the Machine"));
        Assert.Empty(await MountsAsync(agent));
        var deleted = await agent.Session.RunAsync(VolumeAgent.Action(volume, 2, CommandKind.Delete));
        Assert.True(deleted.Succeeded, deleted.Message);
        Assert.False(File.Exists(agent.FileOf(volume)));
    }

    /// <summary>Restarts the agent with the pause at <paramref name="step"/>, sends <paramref name="command"/>, waits until
    /// the agent is there, and kills it -9.</summary>
    private static async Task KilledAtAsync(VolumeAgent agent, string step, Command command)
    {
        await agent.RestartAsync(new Dictionary<string, string> { [agents::CimiGrains.Agents.Drivers.TestPause.Variable] = step });
        agent.Session.Send(new ControllerMessage { Command = command });
        await Eventually.Until(() => Task.FromResult(agent.Process.Log), log => log.Contains($"paused at {step}", StringComparison.Ordinal),
            $"the agent to reach {step}");
        await agent.KillAsync();
    }

    /// <summary>
    /// The host holds the Volume in exactly one clean state: attached (the container sees it at /data, one loop device,
    /// one host mount) or not (no loop device, no mount); the inventory (<paramref name="inventory"/>, when given) lists
    /// the Volume on the Machine exactly when it is attached. <paramref name="expectAttached"/> says which, when known.
    /// </summary>
    private static async Task AssertCleanAsync(VolumeAgent agent, Inventory? inventory, string machine, string volume, bool? expectAttached = null)
    {
        var inContainer = (await DockerVolumeHost.ShAsync(machine, "grep -c ' /data ' /proc/mounts")).Output.Trim() == "1";
        var loops = await LoopDevicesAsync(agent, volume);
        var mounts = await MountsAsync(agent);
        var state = $"in the container: {inContainer}; loop devices: [{string.Join(", ", loops)}]; host mounts: [{string.Join(", ", mounts)}]\n" +
            $"--- agent ---\n{agent.Process.Log}";
        if (expectAttached is { } expected) Assert.True(inContainer == expected, state);
        if (inventory is not null)
        {
            var listed = inventory.Workloads.Single(w => w.MachineKey == machine).AttachedVolumes.Contains(volume);
            Assert.True(listed == inContainer, $"the inventory lists the Volume: {listed}; {state}");
        }
        if (inContainer)
        {
            Assert.True(loops.Count == 1, state);
            Assert.True(mounts.Count(m => !m.Contains("volume-binds", StringComparison.Ordinal)) == 1, state);
        }
        else
        {
            Assert.True(loops.Count == 0, state);
            Assert.True(mounts.Count == 0, state);
        }
    }

    private static Task<IReadOnlyList<string>> LoopDevicesAsync(VolumeAgent agent, string volume) =>
        agents::CimiGrains.Agents.Drivers.VolumeMounts.LoopDevicesOfAsync(agent.FileOf(volume), CancellationToken.None);

    /// <summary>The host's mounts under the agent's state directory (findmnt).</summary>
    private static async Task<IReadOnlyList<string>> MountsAsync(VolumeAgent agent) =>
        (await TestVolumePool.RunAsync("findmnt", "-rn", "-o", "TARGET")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(t => t.StartsWith(agent.StateDirectory, StringComparison.Ordinal)).ToList();

    private static Command Command(string machine, long generation, CommandKind kind, VolumeAttachment? attachment) => new()
    {
        CommandId = Guid.NewGuid().ToString("N"), MachineKey = machine, ResourceId = machine, Generation = generation, Kind = kind,
        Attachment = attachment,
    };
}
