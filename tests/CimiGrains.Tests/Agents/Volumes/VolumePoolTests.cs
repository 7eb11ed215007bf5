using System.Text.Json.Nodes;
using CimiGrains.Agents.Protocol;
using ResourceKind = CimiGrains.Agents.Protocol.ResourceKind;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>The host's volume pool in a real agent, driven by a fake controller: create, fence, delete, bad input.</summary>
public sealed class VolumePoolTests
{
    private const long GiB = 1024 * 1024;

    [Fact]
    public async Task An_ext4_volume_is_a_sparse_file_of_exactly_its_capacity_holding_a_file_system_beside_its_record()
    {
        await using var agent = await VolumeAgent.StartAsync();
        var key = VolumeAgent.NewKey();
        var created = Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(key, 1, GiB)));
        Assert.Equal(ObservedState.Created, created.State);
        Assert.Equal(ResourceKind.Volume, created.ResourceKind);
        Assert.Equal(key, created.ResourceId);
        Assert.Equal("", created.MachineKey);

        var file = agent.FileOf(key);
        Assert.Equal(GiB * 1024, new FileInfo(file).Length);
        var allocated = await VolumeAgent.AllocatedKiBAsync(file);
        Assert.True(allocated < 64 * 1024, $"a fresh 1 GiB Volume takes {allocated} KiB on disk; it should be sparse");
        Assert.Equal("ext4", (await VolumeAgent.ToolAsync("blkid", "-p", "-o", "value", "-s", "TYPE", file)).Trim());
        var header = await VolumeAgent.ToolAsync("dumpe2fs", "-h", file);
        Assert.Contains("Reserved block count:     0", header);
        // Every inode table initialised now, none left for the kernel's lazy-init thread after the first mount.
        var groups = (await VolumeAgent.ToolAsync("dumpe2fs", file)).Split('\n').Where(l => l.StartsWith("Group ", StringComparison.Ordinal) && l.Contains("(Blocks", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(groups);
        Assert.All(groups, g => Assert.Contains("ITABLE_ZEROED", g, StringComparison.Ordinal));
        var record = JsonNode.Parse(await File.ReadAllTextAsync(agent.RecordOf(key)))!;
        Assert.Equal(key, record["key"]!.GetValue<string>());
        Assert.Equal(1, record["generation"]!.GetValue<long>());
        Assert.Equal("ext4", record["format"]!.GetValue<string>());
        Assert.Equal(GiB, record["capacityKiB"]!.GetValue<long>());
        Assert.Equal(key.Split('/')[0], record["tenant"]!.GetValue<string>());

        // The same create again (a retry after a lost answer): harmless, the file is not made again.
        var written = File.GetLastWriteTimeUtc(file);
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(key, 1, GiB)));
        Assert.Equal(written, File.GetLastWriteTimeUtc(file));

        // A newer generation's create of the same Volume finds it made; then an older one is stale, refused, and touches nothing.
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(key, 2, GiB)));
        Assert.Equal(2, JsonNode.Parse(await File.ReadAllTextAsync(agent.RecordOf(key)))!["generation"]!.GetValue<long>());
        var stale = await agent.Session.RunAsync(VolumeAgent.Create(key, 1, GiB));
        Assert.False(stale.Succeeded, $"the stale create was carried out: {stale}");
        Assert.Contains("stale", stale.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(ObservedState.Created, stale.State);
        var staleDelete = await agent.Session.RunAsync(VolumeAgent.Action(key, 1, CommandKind.Delete));
        Assert.False(staleDelete.Succeeded, $"the stale delete was carried out: {staleDelete}");
        Assert.True(File.Exists(file));

        var deleted = Succeeded(await agent.Session.RunAsync(VolumeAgent.Action(key, 3, CommandKind.Delete)));
        Assert.Equal(ObservedState.Absent, deleted.State);
        Assert.False(File.Exists(file), "the Volume's file outlived its delete");
        Assert.False(File.Exists(agent.RecordOf(key)), "the Volume's record outlived its delete");
        Assert.Empty(Directory.GetFiles(agent.PoolDirectory));
        // Deleting what is gone succeeds (the cluster repeats deletes).
        Assert.Equal(ObservedState.Absent, Succeeded(await agent.Session.RunAsync(VolumeAgent.Action(key, 3, CommandKind.Delete))).State);
    }

    [Fact]
    public async Task A_volume_and_a_machine_with_the_same_key_are_fenced_apart()
    {
        await using var agent = await VolumeAgent.StartAsync();
        var key = VolumeAgent.NewKey();
        var machine = new Command
        {
            CommandId = Guid.NewGuid().ToString("N"), MachineKey = key, ResourceId = key, Generation = 5, Kind = CommandKind.Create,
            Spec = new MachineSpec
            {
                ImageLocation = "docker:" + DockerCli.DemoImage, Cpu = 1, MemoryKib = 64 * 1024, TenantId = key.Split('/')[0], StartAfterCreate = false,
            },
        };
        Succeeded(await agent.Session.RunAsync(machine));
        // Keys are tenant/localId for both kinds: the Machine's generation 5 must not make the Volume's 1 stale.
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(key, 1, 64 * 1024)));
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Action(key, 2, CommandKind.Delete)));
        Assert.False(File.Exists(agent.FileOf(key)));
        // The Volume's delete touched the Machine neither: its container stays.
        Assert.Single(await DockerCli.ContainersOfAsync(key));
        var inventory = await agent.RestartAsync();
        Assert.Equal(5, inventory.Workloads.Single(w => w.ResourceKind == ResourceKind.Machine && w.MachineKey == key).FenceGeneration);
    }

    [Fact]
    public async Task Raw_and_qcow2_volumes_are_blank_files_of_their_format_and_capacity()
    {
        await using var agent = await VolumeAgent.StartAsync();
        var raw = VolumeAgent.NewKey();
        var qcow2 = VolumeAgent.NewKey();
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(raw, 1, 2 * GiB, "raw")));
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(qcow2, 1, 2 * GiB, "QCOW2")));
        Assert.Equal(2 * GiB * 1024, new FileInfo(agent.FileOf(raw)).Length);
        Assert.Equal(0, await VolumeAgent.AllocatedKiBAsync(agent.FileOf(raw)));
        var info = JsonNode.Parse(await VolumeAgent.ToolAsync("qemu-img", "info", "--output=json", agent.FileOf(qcow2)))!;
        Assert.Equal("qcow2", info["format"]!.GetValue<string>());
        Assert.Equal(2 * GiB * 1024, info["virtual-size"]!.GetValue<long>());
        Assert.Equal("qcow2", JsonNode.Parse(await File.ReadAllTextAsync(agent.RecordOf(qcow2)))!["format"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(0L, "ext4", "greater than 0")]
    [InlineData(-5L, "ext4", "greater than 0")]
    [InlineData(1024L, "ntfs", "format 'ntfs' is unknown")]
    public async Task A_create_with_bad_input_fails_saying_why_and_leaves_nothing(long capacityKiB, string format, string expected)
    {
        await using var agent = await VolumeAgent.StartAsync();
        var key = VolumeAgent.NewKey();
        var report = await agent.Session.RunAsync(VolumeAgent.Create(key, 1, capacityKiB, format));
        Assert.False(report.Succeeded, $"the bad create succeeded: {report}");
        Assert.Contains(expected, report.Message, StringComparison.Ordinal);
        Assert.Equal(ObservedState.Absent, report.State);
        Assert.Empty(Directory.GetFiles(agent.PoolDirectory));
        // Not even a fence record: the refusal moved nothing.
        var fence = Path.Combine(Path.GetDirectoryName(agent.PoolDirectory)!, "state", "volume-generations");
        Assert.Empty(Directory.Exists(fence) ? Directory.GetFiles(fence) : []);
    }

    [Fact]
    public async Task A_volume_larger_than_what_the_pool_has_left_is_refused_naming_both()
    {
        await using var agent = await VolumeAgent.StartAsync(poolKiB: 3 * GiB);
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(VolumeAgent.NewKey(), 1, 2 * GiB)));
        var key = VolumeAgent.NewKey();
        var report = await agent.Session.RunAsync(VolumeAgent.Create(key, 1, 2 * GiB));
        Assert.False(report.Succeeded, $"the pool promised more than it has: {report}");
        Assert.Contains($"{GiB} KiB left of {3 * GiB} KiB", report.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(agent.FileOf(key)));
    }

    [Fact]
    public async Task Commands_a_volume_does_not_take_and_captures_to_other_locations_are_refused()
    {
        await using var agent = await VolumeAgent.StartAsync();
        var key = VolumeAgent.NewKey();
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(key, 1, 64 * 1024)));
        var start = await agent.Session.RunAsync(VolumeAgent.Action(key, 1, CommandKind.Start));
        Assert.False(start.Succeeded);
        Assert.Contains("not a Volume command", start.Message, StringComparison.Ordinal);
        var capture = await agent.Session.RunAsync(VolumeAgent.Action(key, 1, CommandKind.Capture, "docker:cimigrains/capture:x"));
        Assert.False(capture.Succeeded);
        Assert.Contains("volume:REFERENCE", capture.Message, StringComparison.Ordinal);
        Assert.Equal(ObservedState.Created, capture.State);
    }

    [Fact]
    public async Task Deleting_a_volume_in_use_through_a_loop_device_is_refused_naming_the_device()
    {
        await using var agent = await VolumeAgent.StartAsync();
        var key = VolumeAgent.NewKey();
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Create(key, 1, 64 * 1024)));
        var loop = (await VolumeAgent.ToolAsync("losetup", "-f", "--show", "-r", agent.FileOf(key))).Trim();
        try
        {
            var refused = await agent.Session.RunAsync(VolumeAgent.Action(key, 2, CommandKind.Delete));
            Assert.False(refused.Succeeded, $"a Volume in use was deleted: {refused}");
            Assert.Contains(loop, refused.Message, StringComparison.Ordinal);
            Assert.Equal(ObservedState.Created, refused.State);
            Assert.True(File.Exists(agent.FileOf(key)) && File.Exists(agent.RecordOf(key)));
        }
        finally
        {
            await VolumeAgent.ToolAsync("losetup", "-d", loop);
        }
        Succeeded(await agent.Session.RunAsync(VolumeAgent.Action(key, 3, CommandKind.Delete)));
        Assert.False(File.Exists(agent.FileOf(key)));
    }

    [Theory]
    [InlineData("CIMI_AGENT_VOLUME_POOL_KIB", "plenty", "CIMI_AGENT_VOLUME_POOL_KIB='plenty' is not valid")]
    [InlineData("CIMI_AGENT_VOLUME_POOL_KIB", "999999999999999", "is more than the file system holding")]
    [InlineData("CIMI_AGENT_VOLUME_POOL", "/proc/cimi-pool", "cannot be used as the volume pool")]
    public async Task A_bad_pool_setting_stops_the_agent_at_start_naming_it(string name, string value, string expected)
    {
        var state = Directory.CreateTempSubdirectory("cimi-agent-state-");
        var agent = AgentProcess.Start(AgentCloud.NewHostId("badpool"), "http://127.0.0.1:1", FakeController.Secret,
            new Dictionary<string, string> { ["CIMI_AGENT_STATE_DIR"] = state.FullName, [name] = value });
        try
        {
            await agent.WaitForExitAsync("the agent to refuse its pool setting");
            Assert.Contains(expected, agent.Log, StringComparison.Ordinal);
        }
        finally
        {
            await agent.DisposeAsync();
            state.Delete(recursive: true);
        }
    }

    internal static Report Succeeded(Report report)
    {
        Assert.True(report.Succeeded, $"the agent failed the command: {report}");
        return report;
    }
}
