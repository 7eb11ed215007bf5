extern alias agents;
using CimiGrains.Tests.Agents.Networks;
using CimiGrains.Tests.Agents.Qemu;

namespace CimiGrains.Tests.Agents.Systems;

/// <summary>
/// The rig <see cref="SystemCrashRigTests"/> shares: one gateway (silo + CIMI HTTP + agent API) on fixed private loopback
/// ports, so it can be killed -9 and started again where its agents and clients find it, and two real agents, each with
/// its network plane in a namespace of the rig's own, joined by an underlay veth: host A runs containers only (its volume
/// pool too small for the System's Volume), host B runs containers and VMs (QEMU under TCG) and holds the Volume. Every
/// agent can be killed -9 and started again on its host id and state directory, with or without a test pause
/// (<c>CIMI_AGENT_TEST_PAUSE_AT</c>). <see cref="CensusAsync"/> counts what is on the hosts.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemCrashRig : IAsyncLifetime
{
    public const string Secret = "system-crash-rig-secret";
    public const string DemoVm = QemuAgentFixture.DemoVm;

    /// <summary>Host A's pool: smaller than the System's Volume, so the Volume goes to B, where the VM that uses it runs.</summary>
    public const long PoolAKiB = 16 * 1024;

    private readonly string _run = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
    private readonly DirectoryInfo _stateRoot = Directory.CreateTempSubdirectory("cimi-syscrashrig-");
    private string _postgres = "";
    private int[] _ports = [];

    public GatewayProcess Gateway { get; private set; } = null!;
    public QemuHost Qemu { get; private set; } = null!;
    public string HostA { get; } = AgentCloud.NewHostId("scra");
    public string HostB { get; } = AgentCloud.NewHostId("scrb");
    public string NamespaceA => $"cimsk{_run}a";
    public string NamespaceB => $"cimsk{_run}b";
    public AgentProcess AgentA { get; private set; } = null!;
    public AgentProcess AgentB { get; private set; } = null!;

    /// <summary>The logs of the gateways and agents killed so far, for a failing case to show.</summary>
    public List<string> KilledGatewayLogs { get; } = [];
    public List<string> KilledAgentLogs { get; } = [];

    public string StateOf(string host) => Path.Combine(_stateRoot.FullName, host);
    public string PoolOf(string host) => host == HostB ? Qemu.VolumePoolDirectory : Path.Combine(StateOf(HostA), "volumes");
    public string NamespaceOf(string host) => host == HostB ? NamespaceB : NamespaceA;
    public IReadOnlyList<string> Hosts => [HostA, HostB];

    public async Task InitializeAsync()
    {
        await DockerCli.RequireAsync();
        QemuHost.RequireQemu();
        Qemu = new QemuHost();
        await Qemu.InstallDemoVmAsync();
        _postgres = await TestDatabase.CreateAsync("syscrashrig");
        _ports = FreePorts.Take(4);
        await PlaneRig.RunAsync("ip", "netns", "add", NamespaceA);
        await PlaneRig.RunAsync("ip", "netns", "add", NamespaceB);
        // The underlay wire between the two hosts' namespaces.
        await PlaneRig.RunAsync("ip", "-n", NamespaceA, "link", "add", "underlay", "type", "veth", "peer", "name", "underlay", "netns", NamespaceB);
        foreach (var (ns, address) in new[] { (NamespaceA, Underlay(HostA)), (NamespaceB, Underlay(HostB)) })
        {
            await PlaneRig.RunAsync("ip", "-n", ns, "addr", "add", address + "/24", "dev", "underlay");
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "set", "underlay", "up");
        }
        Gateway = await StartGatewayAsync();
        AgentA = await StartAgentAsync(HostA);
        AgentB = await StartAgentAsync(HostB);
    }

    private string Underlay(string host) => host == HostA ? "10.252.15.1" : "10.252.15.2";

    private Task<GatewayProcess> StartGatewayAsync() => GatewayProcess.StartAsync(_postgres, new Dictionary<string, string>
    {
        ["CIMI_AGENT_PORT"] = _ports[3].ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["CIMI_AGENT_SECRET"] = Secret,
        ["CIMI_PUBLIC_IMAGES"] = DemoVm,
        // A Machine whose agent is away waits for it (the agent-kill cases start it again within seconds).
        ["CIMI_HOST_RECONNECT_GRACE_SECONDS"] = "60",
        // What the cluster did, for a failing case to show.
        ["Logging__LogLevel__CimiGrains"] = "Information",
    }, _ports);

    /// <summary>kill -9 of the gateway, then a new one on the same ports and database; waits until both agents are back.</summary>
    public async Task KillAndRestartGatewayAsync()
    {
        int a = SessionsOf(AgentA), b = SessionsOf(AgentB);
        await Gateway.KillAsync();
        KilledGatewayLogs.Add(Gateway.Log);
        await Gateway.DisposeAsync();
        Gateway = await StartGatewayAsync();
        await AgentA.WaitConnectedAsync(a + 1);
        await AgentB.WaitConnectedAsync(b + 1);
    }

    /// <summary>kill -9 of <paramref name="host"/>'s agent (its containers and VMs stay), then a new one on the same host id and
    /// state, paused at <paramref name="pauseAt"/> if given; waits until it is connected.</summary>
    public async Task<AgentProcess> KillAndRestartAgentAsync(string host, string? pauseAt = null)
    {
        var agent = host == HostA ? AgentA : AgentB;
        await agent.DisposeAsync();
        KilledAgentLogs.Add(agent.Log);
        agent = await StartAgentAsync(host, pauseAt);
        if (host == HostA) AgentA = agent;
        else AgentB = agent;
        return agent;
    }

    private async Task<AgentProcess> StartAgentAsync(string host, string? pauseAt = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["CIMI_AGENT_STATE_DIR"] = StateOf(host),
            ["CIMI_AGENT_CPU"] = "8",
            ["CIMI_AGENT_NETWORK_NAMESPACE"] = NamespaceOf(host),
            ["CIMI_AGENT_UNDERLAY_ADDRESS"] = Underlay(host),
            ["CIMI_AGENT_UNDERLAY_DEVICE"] = "underlay",
        };
        if (host == HostB)
        {
            foreach (var (name, value) in Qemu.AgentEnvironment) settings[name] = value;
        }
        else
        {
            // A missing binary fails the QEMU driver's probe: A offers containers only.
            settings["CIMI_AGENT_QEMU"] = "/nonexistent/qemu-not-offered-on-host-a";
            settings["CIMI_AGENT_VOLUME_POOL_KIB"] = PoolAKiB.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (pauseAt is not null) settings[agents::CimiGrains.Agents.Drivers.TestPause.Variable] = pauseAt;
        var agent = AgentProcess.Start(host, $"http://127.0.0.1:{_ports[3]}", Secret, settings);
        await agent.WaitConnectedAsync();
        return agent;
    }

    private static int SessionsOf(AgentProcess agent)
    {
        var log = agent.Log;
        var count = 0;
        for (var i = log.IndexOf("Connected to ", StringComparison.Ordinal); i >= 0; i = log.IndexOf("Connected to ", i + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>What is on the two hosts now, counted from outside the agents (Docker, /proc, the pools, <c>losetup</c>, the
    /// planes' namespaces).</summary>
    public async Task<SystemCensus> CensusAsync()
    {
        var hosts = new List<HostCensus>();
        foreach (var host in Hosts)
        {
            var containers = (await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=cimigrains.host={host}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            var pool = PoolOf(host);
            var files = Directory.Exists(pool) ? Directory.EnumerateFiles(pool).Count(f => f.EndsWith(".volume", StringComparison.Ordinal)) : 0;
            var loops = (await Volumes.VolumeGuests.LoopDevicesUnderAsync(pool)).Count + (await Volumes.VolumeGuests.LoopDevicesUnderAsync(StateOf(host))).Count;
            var daemons = Volumes.VolumeGuests.ExportDaemons(StateOf(host)).Count + Volumes.VolumeGuests.ExportDaemons(pool).Count;
            var links = (await PlaneRig.RunAsync("ip", "-n", NamespaceOf(host), "-br", "link")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split(' ', 2)[0].Split('@')[0]).ToList();
            int Links(string prefix) => links.Count(l => l.StartsWith(prefix, StringComparison.Ordinal));
            hosts.Add(new HostCensus(host == HostA ? "A" : "B", containers, host == HostB ? Qemu.Processes().Count : 0, files, loops, daemons,
                Links("cimin"), Links("cimix"), Links("cimiv"), Links("cimit"), (await DockerNetworks.OfHostAsync(host)).Count));
        }
        return new SystemCensus(hosts[0], hosts[1]);
    }

    public async Task DisposeAsync()
    {
        if (AgentA is not null) await AgentA.DisposeAsync();
        if (AgentB is not null) await AgentB.DisposeAsync();
        if (Gateway is not null) await Gateway.DisposeAsync();
        foreach (var host in Hosts)
        {
            await DockerCli.RemoveHostContainersAsync(host);
            await DockerNetworks.RemoveHostNetworksAsync(host);
        }
        // What a failed case left: VMs, exports, then the mounts and loop devices under the rig's directories.
        Qemu?.Dispose();
        foreach (var host in Hosts) Volumes.VolumeGuests.KillExportDaemons(StateOf(host));
        foreach (var loop in (await Volumes.TestVolumePool.RunAsync("losetup", "-a")).Split('\n')
            .Where(l => l.Contains(_stateRoot.FullName + "/", StringComparison.Ordinal)))
            await Volumes.TestVolumePool.RunAsync("losetup", "-d", loop.Split(':')[0]);
        await PlaneRig.TryRunAsync("ip", "netns", "del", NamespaceA);
        await PlaneRig.TryRunAsync("ip", "netns", "del", NamespaceB);
        _stateRoot.Delete(recursive: true);
    }
}

/// <summary>One host's count of what a System leaves on it: workloads (containers, qemu processes), Volumes (pool files,
/// loop devices, qemu-storage-daemon exports), the plane's devices (bridges, VXLAN devices, container veths, VM taps) and
/// Docker networks of the host.</summary>
public sealed record HostCensus(string Host, int Containers, int Qemus, int VolumeFiles, int LoopDevices, int ExportDaemons,
    int Bridges, int Vxlans, int Veths, int Taps, int DockerNetworks)
{
    /// <summary>Nothing at all.</summary>
    public static HostCensus Empty(string host) => new(host, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/// <summary>Both hosts' counts.</summary>
public sealed record SystemCensus(HostCensus A, HostCensus B);
