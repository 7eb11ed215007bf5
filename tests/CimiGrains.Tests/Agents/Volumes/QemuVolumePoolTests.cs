extern alias agents;
using agents::CimiGrains.Agents.Drivers;
using CimiGrains.Tests.Agents.Qemu;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// The volume pool as the QEMU driver needs it (docs/VOLUMES.md, "Attaching on the host"): a VM opens its Volumes'
/// files as its own uid, so the driver makes the pool passable for others and nothing more, and is not offered when a
/// directory above the pool lets no other user pass, saying which.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuVolumePoolTests
{
    private const UnixFileMode ExecuteOnly = (UnixFileMode)0x1C9; // 0711

    [Fact]
    public async Task The_driver_lets_the_VMs_pass_through_the_pool_but_not_list_or_write_it()
    {
        QemuHost.RequireQemu();
        using var host = new QemuHost();
        var state = Directory.CreateTempSubdirectory("cimi-qemupool-state-");
        try
        {
            var pool = Directory.CreateDirectory(host.VolumePoolDirectory).FullName;
            File.SetUnixFileMode(pool, (UnixFileMode)0x1FF); // 0777: what an operator may have left

            await host.NewDriver(AgentCloud.NewHostId("qpool"), state.FullName, volumePool: pool).CheckAvailableAsync(default);

            Assert.Equal(ExecuteOnly, File.GetUnixFileMode(pool));
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_pool_file_left_to_a_VMs_uid_that_no_VM_attaches_goes_back_to_root_at_start()
    {
        QemuHost.RequireQemu();
        using var host = new QemuHost();
        var state = Directory.CreateTempSubdirectory("cimi-qemupool-state-");
        try
        {
            // What a kill -9 between a detach's record and its chown back leaves: the file still the VM uid's.
            var pool = Directory.CreateDirectory(host.VolumePoolDirectory).FullName;
            var file = Path.Combine(pool, "left.volume");
            await File.WriteAllBytesAsync(file, new byte[4096]);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.Equal(0, (await QemuHost.RunAsync("chown", "54321:54321", file)).Code);

            await host.NewDriver(AgentCloud.NewHostId("qpool"), state.FullName, volumePool: pool).CheckAvailableAsync(default);

            Assert.Equal("0:0", (await QemuHost.RunAsync("stat", "-c", "%u:%g", file)).Output.Trim());
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_pool_under_a_directory_others_cannot_pass_makes_the_driver_unavailable_naming_that_directory()
    {
        QemuHost.RequireQemu();
        using var host = new QemuHost();
        // The agent's state directory in a home directory: the pool's default place, and where the finding was made.
        var home = Directory.CreateTempSubdirectory("cimi-qemupool-home-");
        try
        {
            File.SetUnixFileMode(home.FullName, (UnixFileMode)0x1C0); // 0700
            var pool = Directory.CreateDirectory(Path.Combine(home.FullName, "state", "volumes")).FullName;

            var refused = await Assert.ThrowsAsync<DriverException>(() =>
                host.NewDriver(AgentCloud.NewHostId("qpool"), Path.Combine(home.FullName, "state"), volumePool: pool).CheckAvailableAsync(default));

            Assert.Contains($"CIMI_AGENT_VOLUME_POOL={pool}", refused.Message);
            Assert.Contains($"{home.FullName} does not let others pass", refused.Message);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_agent_does_not_offer_QEMU_when_its_volume_pool_is_out_of_the_VMs_reach_and_its_log_says_why()
    {
        QemuHost.RequireQemu();
        using var host = new QemuHost();
        await using var cloud = await AgentCloud.StartAsync("qemupool");
        var hostId = AgentCloud.NewHostId("qpool");
        // No CIMI_AGENT_VOLUME_POOL: the default, in the agent's state directory, here one only root may enter.
        var environment = host.AgentEnvironment;
        environment.Remove("CIMI_AGENT_VOLUME_POOL");
        var state = cloud.StateDirectoryOf(hostId);
        Directory.CreateDirectory(state);
        File.SetUnixFileMode(state, (UnixFileMode)0x1C0); // 0700

        var agent = await cloud.StartAgentAsync(hostId, environment);

        await Eventually.Until(() => Task.FromResult(agent.Log), l => l.Contains("Driver qemu ", StringComparison.Ordinal),
            "the agent to probe its QEMU driver");
        Assert.Contains($"Driver qemu cannot run on this host and is not offered: CIMI_AGENT_VOLUME_POOL={Path.Combine(state, "volumes")} is not reachable", agent.Log);
        Assert.Contains($"{state} does not let others pass", agent.Log);
    }
}
