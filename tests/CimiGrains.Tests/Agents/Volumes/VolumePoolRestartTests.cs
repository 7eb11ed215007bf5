using CimiGrains.Agents.Protocol;
using ResourceKind = CimiGrains.Agents.Protocol.ResourceKind;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>The pool across agent restarts and crashes: what the cluster is told, and what a kill -9 leaves.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VolumePoolRestartTests
{
    private const long GiB = 1024 * 1024;

    [Fact]
    public async Task Registration_offers_the_pool_and_the_inventory_lists_its_volumes_after_a_restart()
    {
        await using var agent = await VolumeAgent.StartAsync(poolKiB: 5 * GiB);
        Assert.Equal(5 * GiB, agent.Session.Register.VolumePoolKib);
        // The pool shares the root file system with Docker's storage here: the drivers are offered the rest of it, not all of it.
        var rootKiB = new DriveInfo(agent.PoolDirectory).TotalSize / 1024;
        if (agent.Session.Register.DiskKib > 0) Assert.True(agent.Session.Register.DiskKib <= rootKiB - 5 * GiB,
            $"disk_kib {agent.Session.Register.DiskKib} counts the pool's {5 * GiB} KiB of the {rootKiB} KiB file system again");

        var first = VolumeAgent.NewKey();
        var second = VolumeAgent.NewKey();
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(first, 4, 64 * 1024)));
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(second, 1, 32 * 1024, "qcow2")));
        var gone = VolumeAgent.NewKey();
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(gone, 1, 32 * 1024)));
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Action(gone, 2, CommandKind.Delete)));
        await agent.KillAsync();

        var inventory = await agent.RestartAsync();
        var volumes = inventory.Workloads.Where(w => w.ResourceKind == ResourceKind.Volume).OrderBy(w => w.ResourceId == first ? 0 : 1).ToList();
        Assert.Equal([first, second], volumes.Select(v => v.ResourceId));
        Assert.All(volumes, v => Assert.Equal(ObservedState.Created, v.State));
        Assert.All(volumes, v => Assert.Equal("", v.MachineKey));
        Assert.Equal(4, volumes[0].Generation);
        Assert.Equal(4, volumes[0].FenceGeneration);
        Assert.Equal(1, volumes[1].Generation);
        // The fence survived the restart: a create older than what this host has seen stays refused, the deleted one included.
        Assert.False((await agent.Session.RunAsync(VolumeAgent.Create(first, 3, 64 * 1024))).Succeeded);
        Assert.False((await agent.Session.RunAsync(VolumeAgent.Create(gone, 1, 32 * 1024))).Succeeded);
        Assert.False(File.Exists(agent.FileOf(gone)));

        // The cluster's reconciliation removes a Volume it no longer knows by its fence generation.
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Action(second, volumes[1].FenceGeneration, CommandKind.Delete)));
        Assert.False(File.Exists(agent.FileOf(second)));
    }

    [Fact]
    public async Task A_kill_during_a_create_leaves_no_temporary_file_and_the_next_create_succeeds()
    {
        await using var agent = await VolumeAgent.StartAsync();
        // An image of 8 MiB of data, held by the store after its first chunk: the agent is caught mid-transfer.
        var image = new byte[8 << 20];
        Random.Shared.NextBytes(image);
        agent.Images.Put("volume:seed-1", image, "raw");
        agent.Images.HoldDownloads = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var key = VolumeAgent.NewKey();
        agent.Session.Send(new ControllerMessage { Command = VolumeAgent.Create(key, 1, 16 * 1024, "raw", "volume:seed-1") });
        await agent.Images.DownloadStarted.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Eventually.Until(() => Task.FromResult(Directory.GetFiles(agent.PoolDirectory)), files => files.Any(f => f.EndsWith(".tmp", StringComparison.Ordinal)),
            "the create's temporary file in the pool");
        await agent.KillAsync();
        Assert.False(File.Exists(agent.FileOf(key)), "a half-made Volume file was put in place");

        agent.Images.HoldDownloads = null;
        var inventory = await agent.RestartAsync();
        Assert.DoesNotContain(inventory.Workloads, w => w.ResourceId == key);
        Assert.Empty(Directory.GetFiles(agent.PoolDirectory));

        // The cluster repeats the create: it runs to the end now.
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(key, 1, 16 * 1024, "raw", "volume:seed-1")));
        var bytes = await File.ReadAllBytesAsync(agent.FileOf(key));
        Assert.Equal(16 << 20, bytes.Length);
        Assert.True(bytes.AsSpan(0, image.Length).SequenceEqual(image), "the Volume does not hold the image's bytes");
        Assert.True(bytes.AsSpan(image.Length).IndexOfAnyExcept((byte)0) < 0, "the grown part of the Volume is not blank");
    }

    [Fact]
    public async Task Volume_files_and_records_are_for_root_alone_also_those_an_older_pool_made_readable()
    {
        await using var agent = await VolumeAgent.StartAsync();
        agent.Images.Put("volume:seed-mode", new byte[1 << 20], "raw");
        var keys = new[] { VolumeAgent.NewKey(), VolumeAgent.NewKey(), VolumeAgent.NewKey(), VolumeAgent.NewKey() };
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(keys[0], 1, 16 * 1024)));
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(keys[1], 1, 16 * 1024, "raw")));
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(keys[2], 1, 16 * 1024, "qcow2")));
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(keys[3], 1, 16 * 1024, "raw", "volume:seed-mode")));
        foreach (var key in keys) AssertOwnerOnly(agent, key);

        // A pool an older agent made (files 0644) is made private when the pool opens.
        File.SetUnixFileMode(agent.FileOf(keys[0]), (UnixFileMode)0x1A4); // 0644
        File.SetUnixFileMode(agent.RecordOf(keys[0]), (UnixFileMode)0x1B6); // 0666
        await agent.KillAsync();
        var inventory = await agent.RestartAsync();
        Assert.Contains(inventory.Workloads, w => w.ResourceId == keys[0]);
        AssertOwnerOnly(agent, keys[0]);
    }

    private static void AssertOwnerOnly(VolumeAgent agent, string key)
    {
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(agent.FileOf(key)));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(agent.RecordOf(key)));
    }

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
}
