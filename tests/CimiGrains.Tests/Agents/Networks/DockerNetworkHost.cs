extern alias agents;
using agents::CimiGrains.Agents;
using agents::CimiGrains.Agents.Docker;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Networks;
using Docker.DotNet;
using Microsoft.Extensions.Logging.Abstractions;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// The Docker driver in the test process, as the agent builds it (wrapped in its error translation), on a host id
/// and state directory of its own, with a network plane of the test's choosing (a <see cref="RecordingNetworkPlane"/>,
/// the real one, or none). <see cref="NewAgent"/> is what an agent restart after a kill -9 leaves: a new driver with
/// nothing in memory, over the same state directory.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DockerNetworkHost : IAsyncDisposable
{
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("cimi-netstate-");

    public DockerNetworkHost(string name, INetworkPlane? plane)
    {
        HostId = AgentCloud.NewHostId(name);
        Plane = plane;
        Driver = NewAgent();
    }

    public string HostId { get; }
    public string StateDirectory => _state.FullName;
    public INetworkPlane? Plane { get; private set; }
    public IMachineDriver Driver { get; private set; }

    /// <summary>A fresh driver over the same host (what a restarted agent has, with <paramref name="plane"/> if given: a
    /// restarted agent's plane); it becomes <see cref="Driver"/>.</summary>
    public IMachineDriver NewAgent(INetworkPlane? plane = null)
    {
        Plane = plane ?? Plane;
        var options = new AgentOptions { HostId = HostId, Controllers = [new Uri("http://127.0.0.1:1")], Secret = "unused", StateDirectory = StateDirectory };
        var dockerOptions = new DockerDriverOptions { HostGuard = false };
        var client = new DockerClientConfiguration(dockerOptions.Endpoint).CreateClient(new Version(1, 41));
        Driver = new DockerErrors(new DockerDriver(client, options, dockerOptions, NullLogger<DockerDriver>.Instance, Plane), dockerOptions);
        return Driver;
    }

    public static WorkloadSpec Spec(string machineKey, params NetworkPlaneInterface[] nics) =>
        new("docker:" + DockerCli.DemoImage, 1, 64 * 1024, machineKey.Split('/')[0], null, null, null, null, Start: true, NetworkInterfaces: nics);

    /// <summary>An interface on <paramref name="network"/> named <paramref name="name"/> in the workload, with a MAC of
    /// its own and the address <paramref name="address"/>.</summary>
    public static NetworkPlaneInterface Nic(string id, string network, string name, string address, string? gateway = null) =>
        new(id, network, 4242, $"02:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}",
            [address], gateway, [], 1450, "PRIVATE", name);

    /// <summary>The pid of the Machine's container's main process (0: not running), from the engine.</summary>
    public static async Task<int> PidOfAsync(string machineKey) =>
        (await DockerCli.InspectAsync(ContainerNaming.For(machineKey)))["State"]!["Pid"]!.GetValue<int>();

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

    /// <summary>The Machine's network record file (what survives the agent).</summary>
    public string RecordOf(string machineKey) => Path.Combine(StateDirectory, "docker-networks", ContainerNaming.For(machineKey) + ".json");

    public async ValueTask DisposeAsync()
    {
        await DockerCli.RemoveHostContainersAsync(HostId);
        await DockerNetworks.RemoveHostNetworksAsync(HostId);
        _state.Delete(recursive: true);
    }
}
