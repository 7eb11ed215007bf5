using System.Text.Json.Nodes;
using CimiGrains.Agents.Protocol;
using ResourceKind = CimiGrains.Agents.Protocol.ResourceKind;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// Capturing a Volume into the cluster image store and making Volumes from the result. The store is the test's
/// (<see cref="FakeVolumeImageStore"/>, images.proto as the silos serve it): the real store's acceptance of
/// <c>volume:</c> locations belongs to the Volume grains' part, and is tested end to end there.
/// </summary>
public sealed class VolumeImageTests
{
    [Fact]
    public async Task A_captured_ext4_volume_seeds_a_larger_volume_with_the_same_files()
    {
        await using var agent = await VolumeAgent.StartAsync();
        var source = VolumeAgent.NewKey();
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(source, 1, 16 * 1024)));
        // A file written into the Volume's file system without mounting it.
        var content = Path.Combine(agent.PoolDirectory, "..", "hello.txt");
        await File.WriteAllTextAsync(content, "kept across the capture\n");
        await VolumeAgent.ToolAsync("debugfs", "-w", "-R", $"write {content} hello.txt", agent.FileOf(source));

        var capture = VolumePoolTests.Succeeded(await agent.Session.RunAsync(
            VolumeAgent.Action(source, 1, CommandKind.Capture, "volume:cimigrains/capture:img1")));
        Assert.Equal("volume:cimigrains/capture:img1", capture.ResultImageLocation);
        Assert.Equal(ObservedState.Created, capture.State);
        Assert.True(agent.Images.TryGet("volume:cimigrains/capture:img1", out var stored, out var format));
        Assert.Equal("ext4", format);
        Assert.Equal(await File.ReadAllBytesAsync(agent.FileOf(source)), stored);

        var copy = VolumeAgent.NewKey();
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(copy, 1, 64 * 1024, "ext4", "volume:cimigrains/capture:img1")));
        Assert.Equal(64L << 20, new FileInfo(agent.FileOf(copy)).Length);
        Assert.Equal("kept across the capture\n", await VolumeAgent.ToolAsync("debugfs", "-R", "cat hello.txt", agent.FileOf(copy)));
        // The file system grew with the file: all of the new capacity is usable.
        var header = await VolumeAgent.ToolAsync("dumpe2fs", "-h", agent.FileOf(copy));
        var blocks = long.Parse(header.Split('\n').Single(l => l.StartsWith("Block count:", StringComparison.Ordinal))["Block count:".Length..].Trim());
        var blockSize = long.Parse(header.Split('\n').Single(l => l.StartsWith("Block size:", StringComparison.Ordinal))["Block size:".Length..].Trim());
        Assert.Equal(64L << 20, blocks * blockSize);
        var record = JsonNode.Parse(await File.ReadAllTextAsync(agent.RecordOf(copy)))!;
        Assert.Equal("volume:cimigrains/capture:img1", record["imageLocation"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_qcow2_volume_captured_as_is_seeds_a_qcow2_volume_grown_to_its_capacity()
    {
        await using var agent = await VolumeAgent.StartAsync();
        var source = VolumeAgent.NewKey();
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(source, 1, 32 * 1024, "qcow2")));
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Action(source, 1, CommandKind.Capture, "volume:q1")));
        Assert.True(agent.Images.TryGet("volume:q1", out var stored, out _));
        Assert.Equal(await File.ReadAllBytesAsync(agent.FileOf(source)), stored);
        var copy = VolumeAgent.NewKey();
        VolumePoolTests.Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(copy, 1, 48 * 1024, "qcow2", "volume:q1")));
        var info = JsonNode.Parse(await VolumeAgent.ToolAsync("qemu-img", "info", "--output=json", agent.FileOf(copy)))!;
        Assert.Equal(48L << 20, info["virtual-size"]!.GetValue<long>());
    }

    [Fact]
    public async Task An_image_that_is_not_the_volumes_format_or_too_large_fails_the_create_and_leaves_nothing()
    {
        await using var agent = await VolumeAgent.StartAsync();
        agent.Images.Put("volume:noise", new byte[1 << 20], "raw");
        var key = VolumeAgent.NewKey();
        var notExt4 = await agent.Session.RunAsync(VolumeAgent.Create(key, 1, 4096, "ext4", "volume:noise"));
        Assert.False(notExt4.Succeeded, $"noise became an ext4 Volume: {notExt4}");
        Assert.Contains("does not hold an ext4 file system", notExt4.Message, StringComparison.Ordinal);
        var tooLarge = await agent.Session.RunAsync(VolumeAgent.Create(key, 2, 512, "raw", "volume:noise"));
        Assert.False(tooLarge.Succeeded);
        Assert.Contains("more than the Volume's capacity of 512 KiB", tooLarge.Message, StringComparison.Ordinal);
        var missing = await agent.Session.RunAsync(VolumeAgent.Create(key, 3, 4096, "raw", "volume:nowhere"));
        Assert.False(missing.Succeeded);
        Assert.Contains("is not in the cluster image store", missing.Message, StringComparison.Ordinal);
        Assert.Equal(ObservedState.Absent, missing.State);
        Assert.Empty(Directory.GetFiles(agent.PoolDirectory));
    }
}
