extern alias agents;
using agents::CimiGrains.Agents;
using agents::CimiGrains.Agents.Docker;
using agents::CimiGrains.Agents.Drivers;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// The Docker driver in the test process, as the agent builds it (wrapped in its error translation), on a host
/// id and state directory of its own, with a <see cref="TestVolumePool"/>. <see cref="NewAgent"/> is what an
/// agent restart after a kill -9 leaves: a new driver with nothing in memory, over the same state directory.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DockerVolumeHost : IAsyncDisposable
{
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("cimi-volstate-");

    public DockerVolumeHost(string name)
    {
        HostId = AgentCloud.NewHostId(name);
        Driver = NewAgent();
    }

    public string HostId { get; }
    public string StateDirectory => _state.FullName;
    public TestVolumePool Pool { get; } = new();
    public IMachineDriver Driver { get; private set; }

    /// <summary>A fresh driver over the same host (what a restarted agent has); it becomes <see cref="Driver"/>.</summary>
    public IMachineDriver NewAgent()
    {
        var options = new AgentOptions { HostId = HostId, Controllers = [new Uri("http://127.0.0.1:1")], Secret = "unused", StateDirectory = StateDirectory };
        var dockerOptions = new DockerDriverOptions { HostGuard = false };
        var client = new DockerClientConfiguration(dockerOptions.Endpoint).CreateClient(new Version(1, 41));
        Driver = new DockerErrors(new DockerDriver(client, options, dockerOptions, NullLogger<DockerDriver>.Instance), dockerOptions);
        return Driver;
    }

    public static WorkloadSpec Spec(string machineKey, params AttachedVolume[] volumes) =>
        new("docker:" + DockerCli.DemoImage, 1, 64 * 1024, machineKey.Split('/')[0], null, null, null, null, Start: true, Volumes: volumes);

    public AttachedVolume Volume(string volumeKey, string location, bool readOnly = false) =>
        new(volumeKey, Pool.PathOf(volumeKey), Pool.FormatOf(volumeKey) ?? "ext4", location, readOnly);

    /// <summary>Runs a shell command in the Machine's container; its output, or what made it fail.</summary>
    public static async Task<(bool Ok, string Output)> ShAsync(string machineKey, string script)
    {
        try
        {
            return (true, await DockerCli.RunAsync("exec", ContainerNaming.For(machineKey), "sh", "-c", script));
        }
        catch (InvalidOperationException e)
        {
            return (false, e.Message);
        }
    }

    /// <summary>The host's mounts under this host's state directory (findmnt), one target per line.</summary>
    public async Task<IReadOnlyList<string>> MountsAsync() =>
        (await TestVolumePool.RunAsync("findmnt", "-rn", "-o", "TARGET")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(t => t.StartsWith(StateDirectory, StringComparison.Ordinal)).ToList();

    public async ValueTask DisposeAsync()
    {
        await DockerCli.RemoveHostContainersAsync(HostId);
        await DockerNetworks.RemoveHostNetworksAsync(HostId);
        // Whatever a failed test left: mounts under the state directory (deepest first), then loop devices.
        foreach (var target in (await MountsAsync()).OrderByDescending(t => t.Length))
            await TestVolumePool.RunAsync("umount", "-l", target);
        Pool.Dispose();
        _state.Delete(recursive: true);
    }
}
