extern alias agents;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// Volumes in containers, through the Docker driver against the real engine and the host's loop devices
/// (docs/VOLUMES.md, "Attaching on the host"). Every test ends by checking that nothing of its Volumes is
/// left mounted or on a loop device.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DockerVolumeTests
{
    [Fact]
    public async Task A_volume_named_at_create_is_at_its_location_and_its_data_survives_detach_and_a_live_attach_to_another_container()
    {
        await DockerCli.RequireAsync();
        await using var host = new DockerVolumeHost("volcreate");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string first = $"{tenant}/m1", second = $"{tenant}/m2", volume = $"{tenant}/v1";
        await host.Pool.CreateAsync(volume, 16);

        var created = await host.Driver.CreateAsync(first, 1, DockerVolumeHost.Spec(first, host.Volume(volume, "/data")), default);
        Assert.Equal(ObservedState.Running, created.State);
        Assert.Equal([volume], created.Volumes);
        Assert.True((await DockerVolumeHost.ShAsync(first, "echo kept-across-machines > /data/note && sync")).Ok);
        Assert.Contains("/data ext4", (await DockerVolumeHost.ShAsync(first, "cat /proc/mounts")).Output);

        var detached = await host.Driver.DetachVolumeAsync(first, volume, default);
        Assert.Empty(detached.Volumes!);
        Assert.False((await DockerVolumeHost.ShAsync(first, "cat /data/note")).Ok, "the detached volume is still visible in the first container");
        // Its next start must not bring it back (the engine still has the bind from the create).
        await host.Driver.RestartAsync(first, force: true, default);
        Assert.False((await DockerVolumeHost.ShAsync(first, "cat /data/note")).Ok, "the detached volume came back with a restart");
        Assert.Empty(await host.Pool.LoopDevicesGoneAsync());

        await host.Driver.CreateAsync(second, 1, DockerVolumeHost.Spec(second), default);
        var attached = await host.Driver.AttachVolumeAsync(second, host.Volume(volume, "/srv/volume"), default);
        Assert.Equal([volume], attached.Volumes);
        Assert.Equal("kept-across-machines", (await DockerVolumeHost.ShAsync(second, "cat /srv/volume/note")).Output);
        // Attaching again is idempotent: one mount, one loop device.
        await host.Driver.AttachVolumeAsync(second, host.Volume(volume, "/srv/volume"), default);
        Assert.Single(await host.Pool.LoopDevicesAsync());
        Assert.Single((await DockerVolumeHost.ShAsync(second, "grep ' /srv/volume ' /proc/mounts")).Output.Split('\n'));

        // Mounted again after a restart and after a stop and start (the engine knows nothing of a live attach).
        await host.Driver.RestartAsync(second, force: false, default);
        Assert.Equal("kept-across-machines", (await DockerVolumeHost.ShAsync(second, "cat /srv/volume/note")).Output);
        await host.Driver.StopAsync(second, force: true, default);
        await host.Driver.StartAsync(second, default);
        Assert.Equal("kept-across-machines", (await DockerVolumeHost.ShAsync(second, "cat /srv/volume/note")).Output);

        await host.Driver.DeleteAsync(second, default);
        await host.Driver.DeleteAsync(first, default);
        Assert.Empty(await host.Pool.LoopDevicesGoneAsync());
        Assert.Empty(await host.MountsAsync());
    }

    [Fact]
    public async Task Writing_past_the_capacity_fails_in_the_container_with_no_space_and_read_only_is_honoured()
    {
        await DockerCli.RequireAsync();
        await using var host = new DockerVolumeHost("volspace");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string machine = $"{tenant}/m1", volume = $"{tenant}/small", shared = $"{tenant}/shared";
        await host.Pool.CreateAsync(volume, 8);
        await host.Pool.CreateAsync(shared, 8);
        await host.Driver.CreateAsync(machine, 1, DockerVolumeHost.Spec(machine), default);
        await host.Driver.AttachVolumeAsync(machine, host.Volume(volume, "/data"), default);

        var (ok, output) = await DockerVolumeHost.ShAsync(machine, "dd if=/dev/zero of=/data/fill bs=1M count=32");
        Assert.False(ok, "writing 32 MiB into an 8 MiB volume succeeded");
        Assert.Contains("No space left on device", output);
        // The limit is the volume's, not the container's filesystem's.
        Assert.True((await DockerVolumeHost.ShAsync(machine, "dd if=/dev/zero of=/tmp/fill bs=1M count=16")).Ok);

        await host.Driver.AttachVolumeAsync(machine, host.Volume(shared, "/ro", readOnly: true), default);
        var refused = await DockerVolumeHost.ShAsync(machine, "touch /ro/x");
        Assert.False(refused.Ok, "a read-only volume could be written");
        Assert.Contains("Read-only file system", refused.Output);

        await host.Driver.DetachVolumeAsync(machine, volume, default);
        await host.Driver.DetachVolumeAsync(machine, shared, default);
        // Detaching what is not attached succeeds.
        await host.Driver.DetachVolumeAsync(machine, shared, default);
        Assert.Empty(await host.Pool.LoopDevicesGoneAsync());
        Assert.Empty(await host.MountsAsync());
        await host.Driver.DeleteAsync(machine, default);
    }

    [Fact]
    public async Task A_block_volume_or_a_system_location_is_refused_naming_why_and_leaves_nothing()
    {
        await DockerCli.RequireAsync();
        await using var host = new DockerVolumeHost("volbad");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string machine = $"{tenant}/m1", raw = $"{tenant}/raw", fs = $"{tenant}/fs";
        await host.Pool.CreateAsync(raw, 8, "raw");
        await host.Pool.CreateAsync(fs, 8);

        var format = await Assert.ThrowsAsync<DriverException>(() =>
            host.Driver.CreateAsync(machine, 1, DockerVolumeHost.Spec(machine, host.Volume(raw, "/data")), default));
        Assert.Contains("raw", format.Message);
        Assert.Equal(ObservedState.Absent, (await host.Driver.InspectAsync(machine, default)).State);

        await host.Driver.CreateAsync(machine, 1, DockerVolumeHost.Spec(machine), default);
        foreach (var (location, why) in new[] { ("/proc/x", "/proc"), ("/", "'/'"), ("data", "absolute"), ("/run/cimi/v", "/run/cimi"), ("/a/../etc", "..") })
        {
            var refused = await Assert.ThrowsAsync<DriverException>(() => host.Driver.AttachVolumeAsync(machine, host.Volume(fs, location), default));
            Assert.Contains(why, refused.Message);
        }
        var live = await Assert.ThrowsAsync<DriverException>(() => host.Driver.AttachVolumeAsync(machine, host.Volume(raw, "/data"), default));
        Assert.Contains("raw", live.Message);
        Assert.Empty((await host.Driver.InspectAsync(machine, default)).Volumes!);
        Assert.Empty(await host.Pool.LoopDevicesGoneAsync());
        Assert.Empty(await host.MountsAsync());
        await host.Driver.DeleteAsync(machine, default);
    }

    [Fact]
    public async Task After_the_agent_dies_with_volumes_attached_the_next_one_adopts_them_and_removes_what_no_container_uses()
    {
        await DockerCli.RequireAsync();
        await using var host = new DockerVolumeHost("voladopt");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string kept = $"{tenant}/kept", gone = $"{tenant}/gone", volume = $"{tenant}/v1", orphan = $"{tenant}/v2";
        await host.Pool.CreateAsync(volume, 16);
        await host.Pool.CreateAsync(orphan, 16);
        await host.Driver.CreateAsync(kept, 1, DockerVolumeHost.Spec(kept), default);
        await host.Driver.CreateAsync(gone, 1, DockerVolumeHost.Spec(gone), default);
        await host.Driver.AttachVolumeAsync(kept, host.Volume(volume, "/data"), default);
        await host.Driver.AttachVolumeAsync(gone, host.Volume(orphan, "/data"), default);
        Assert.True((await DockerVolumeHost.ShAsync(kept, "echo before-the-crash > /data/note")).Ok);
        Assert.Equal(2, (await host.Pool.LoopDevicesAsync()).Count);

        // The agent is gone (nothing of it in memory from here on). Meanwhile one container restarts, which
        // loses the live mount, and the other is removed behind the agent's back.
        await DockerCli.RunAsync("restart", "-t", "1", agents::CimiGrains.Agents.Docker.ContainerNaming.For(kept));
        Assert.False((await DockerVolumeHost.ShAsync(kept, "cat /data/note")).Ok);
        await DockerCli.RunAsync("rm", "-f", agents::CimiGrains.Agents.Docker.ContainerNaming.For(gone));

        var agent = host.NewAgent();
        await agent.CheckAvailableAsync(default);
        Assert.Equal("before-the-crash", (await DockerVolumeHost.ShAsync(kept, "cat /data/note")).Output);
        var listed = await agent.ListAsync(default);
        Assert.Equal([volume], listed.Single(w => w.MachineKey == kept).Volumes);
        // One loop device for the adopted volume (reused, not a second one), none for the orphan's.
        var loops = await host.Pool.LoopDevicesAsync();
        Assert.Equal(host.Pool.PathOf(volume), Assert.Single(loops).Split('(', ')')[1]);

        await agent.DetachVolumeAsync(kept, volume, default);
        await agent.DeleteAsync(kept, default);
        Assert.Empty(await host.Pool.LoopDevicesGoneAsync());
        Assert.Empty(await host.MountsAsync());
    }
}
