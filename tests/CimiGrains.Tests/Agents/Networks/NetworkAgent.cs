extern alias agents;
using agents::CimiGrains.Agents;
using agents::CimiGrains.Agents.Docker;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Images;
using agents::CimiGrains.Agents.Networks;
using agents::CimiGrains.Agents.Volumes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// A real agent (its <see cref="AgentWorker"/>, executor and Docker driver, wired as Program.cs wires them) in the test
/// process, so that it can be given a network plane of the test's choosing, talking to a <see cref="FakeController"/>.
/// <see cref="RestartAsync"/> is an agent restart: everything in memory is gone, the state directory stays.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NetworkAgent : IAsyncDisposable
{
    private readonly DirectoryInfo _state = Directory.CreateTempSubdirectory("cimi-netagent-");
    private ServiceProvider? _services;
    private AgentWorker? _worker;

    private NetworkAgent(FakeController controller, INetworkPlane? plane, string name)
    {
        Controller = controller;
        Plane = plane;
        HostId = AgentCloud.NewHostId(name);
    }

    public FakeController Controller { get; }
    public INetworkPlane? Plane { get; }
    public string HostId { get; }
    public FakeAgentSession Session { get; private set; } = null!;

    public static async Task<NetworkAgent> StartAsync(INetworkPlane? plane, string name)
    {
        await DockerCli.RequireAsync();
        var agent = new NetworkAgent(await FakeController.StartAsync(), plane, name);
        await agent.RestartAsync();
        return agent;
    }

    /// <summary>Starts the agent (again: a new process's worth of objects) and waits for its inventory.</summary>
    public async Task<CimiGrains.Agents.Protocol.Inventory> RestartAsync()
    {
        await StopAsync();
        var options = new AgentOptions
        {
            HostId = HostId, Controllers = [new Uri(Controller.Url)], Secret = FakeController.Secret, StateDirectory = _state.FullName,
            Cpu = 1, MemoryKiB = 1024 * 1024, StopTimeoutSeconds = 2,
        };
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(options);
        DockerRegistration.AddDockerDriver(services);
        // The host's own services are not guarded here: that touches the host's firewall, and is not what is tested.
        services.AddSingleton(new DockerDriverOptions { HostGuard = false });
        VolumePoolRegistration.AddVolumePool(services, options);
        services.AddSingleton<HostDrivers>();
        services.AddSingleton(_ => new GenerationStore(options.StateDirectory));
        services.AddSingleton<ImageStoreClient>();
        services.AddSingleton<ImageTransfers>();
        services.AddSingleton<CommandExecutor>();
        services.AddSingleton<ImageRemovals>();
        if (Plane is not null) services.AddSingleton(Plane);
        services.AddSingleton<AgentWorker>();
        _services = services.BuildServiceProvider();
        _worker = _services.GetRequiredService<AgentWorker>();
        await _worker.StartAsync(CancellationToken.None);
        Session = await Controller.NextSessionAsync();
        return await Session.InventoryAsync();
    }

    private async Task StopAsync()
    {
        if (_worker is not null)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _worker.StopAsync(deadline.Token);
            _worker.Dispose();
            _worker = null;
        }
        if (_services is not null) await _services.DisposeAsync();
        _services = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Controller.DisposeAsync();
        await DockerCli.RemoveHostContainersAsync(HostId);
        await DockerNetworks.RemoveHostNetworksAsync(HostId);
        _state.Delete(recursive: true);
    }
}
