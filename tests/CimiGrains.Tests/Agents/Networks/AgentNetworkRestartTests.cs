using CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// A real agent process with its network plane enabled (built in a network namespace of the test's own,
/// <c>CIMI_AGENT_NETWORK_NAMESPACE</c>), driven by a fake controller over agent.proto: containers created by commands on
/// one Network reach each other, keep doing so while the agent is killed with SIGKILL, and the restarted agent reports
/// them and their Network and leaves what it finds as it is. Deleting the namespace at the end takes whatever is left.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentNetworkRestartTests
{
    [Fact]
    public async Task Containers_created_by_commands_on_a_network_keep_talking_through_a_kill_9_of_the_agent_which_then_reports_them()
    {
        await DockerCli.RequireAsync();
        var run = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        var ns = $"cimnd{run}";
        await using var controller = await FakeController.StartAsync();
        var hostId = AgentCloud.NewHostId("netkill");
        var state = Directory.CreateTempSubdirectory("cimi-netkill-");
        var environment = new Dictionary<string, string>
        {
            ["CIMI_AGENT_STATE_DIR"] = state.FullName,
            ["CIMI_AGENT_UNDERLAY_ADDRESS"] = "10.253.0.1",
            ["CIMI_AGENT_UNDERLAY_DEVICE"] = "underlay",
            ["CIMI_AGENT_NETWORK_NAMESPACE"] = ns,
            ["CIMI_AGENT_DOCKER_HOST_GUARD"] = "off",
        };
        await PlaneRig.RunAsync("ip", "netns", "add", ns);
        AgentProcess? agent = null;
        var tenant = $"t{run}";
        var network = $"{tenant}/net1";
        string c1 = $"{tenant}/c1", c2 = $"{tenant}/c2";
        try
        {
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "add", "underlay", "type", "veth", "peer", "name", "underlay-end");
            await PlaneRig.RunAsync("ip", "-n", ns, "addr", "add", "10.253.0.1/24", "dev", "underlay");
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "set", "underlay", "up");
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "set", "underlay-end", "up");
            agent = AgentProcess.Start(hostId, controller.Url, FakeController.Secret, environment);
            var session = await controller.NextSessionAsync();
            Assert.Equal("10.253.0.1", session.Register.UnderlayAddress);
            Assert.Empty((await session.InventoryAsync()).Networks);

            var vni = (uint)Random.Shared.Next(1000, 0xFFFFFF);
            session.Send(new ControllerMessage { NetworkState = new NetworkState
            {
                NetworkId = network, TenantId = tenant, Vni = vni, Mtu = 1450, NetworkType = "PRIVATE", Subnet = "10.79.0.0/24",
                Started = true, Present = true, Version = 1,
            } });
            foreach (var (key, n) in new[] { (c1, 1), (c2, 2) })
            {
                var report = await session.RunAsync(Create(key, new NetworkInterfaceSpec
                {
                    InterfaceId = $"{key}-nic", NetworkId = network, Vni = vni, Mac = $"02:00:0a:4f:00:0{n}", Addresses = { $"10.79.0.{n}/24" },
                    Mtu = 1450, NetworkType = "PRIVATE",
                }));
                Assert.True(report.Succeeded, $"creating {key}: {report}\n{agent.Log}");
            }
            var pid1 = await DockerNetworkHost.PidOfAsync(c1);
            Assert.True(await PlaneRig.EventuallyPingsAsync(pid1, "10.79.0.2"), $"c1 does not reach c2 over their Network\n{agent.Log}");

            // SIGKILL: the data plane is the kernel's, and goes on without the agent.
            await agent.KillAsync();
            Assert.True(await PlaneRig.PingsAsync(pid1, "10.79.0.2"), "the containers stopped talking when the agent died");
            var links = await PlaneRig.RunAsync("ip", "-n", ns, "-o", "link", "show");

            await agent.DisposeAsync();
            agent = AgentProcess.Start(hostId, controller.Url, FakeController.Secret, environment);
            session = await controller.NextSessionAsync();
            var inventory = await session.InventoryAsync();
            Assert.Equal([network], inventory.Networks);
            Assert.Equal([$"{c1}-nic"], inventory.Workloads.Single(w => w.ResourceId == c1).NetworkInterfaces);
            Assert.Equal([$"{c2}-nic"], inventory.Workloads.Single(w => w.ResourceId == c2).NetworkInterfaces);
            // Adopted as they were: the same devices (the same interface indexes), and the traffic never stopped. (The first
            // command's answer comes after the reconciliation with the plane: the agent reads commands only then.)
            var start = await session.RunAsync(new Command { CommandId = Guid.NewGuid().ToString("N"), MachineKey = c1, ResourceId = c1, Generation = 2, Kind = CommandKind.Start });
            Assert.True(start.Succeeded, $"starting the running c1: {start}");
            Assert.Equal(Devices(links), Devices(await PlaneRig.RunAsync("ip", "-n", ns, "-o", "link", "show")));
            Assert.True(await PlaneRig.PingsAsync(pid1, "10.79.0.2"), "the containers stopped talking after the agent's restart");

            foreach (var key in new[] { c1, c2 })
                Assert.True((await session.RunAsync(new Command { CommandId = Guid.NewGuid().ToString("N"), MachineKey = key, ResourceId = key, Generation = 2, Kind = CommandKind.Delete, Force = true })).Succeeded);
            Assert.DoesNotContain("cimiv", await PlaneRig.RunAsync("ip", "-n", ns, "-o", "link", "show"));
        }
        finally
        {
            if (agent is not null) await agent.DisposeAsync();
            await DockerCli.RemoveHostContainersAsync(hostId);
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
            await PlaneRig.TryRunAsync("ip", "netns", "del", ns);
            state.Delete(recursive: true);
        }
    }

    /// <summary>"index:name" of each device in <c>ip -o link</c> output: a device made again has a new index.</summary>
    private static IReadOnlyList<string> Devices(string links) =>
        links.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(':', l.Split(':', 3)[..2]).Split('@')[0]).Order(StringComparer.Ordinal).ToList();

    private static Command Create(string key, NetworkInterfaceSpec nic)
    {
        var spec = new MachineSpec
        {
            ImageLocation = "docker:" + DockerCli.DemoImage, Cpu = 1, MemoryKib = 64 * 1024, TenantId = key.Split('/')[0], StartAfterCreate = true,
        };
        spec.NetworkInterfaces.Add(nic);
        return new Command { CommandId = Guid.NewGuid().ToString("N"), MachineKey = key, ResourceId = key, Generation = 1, Kind = CommandKind.Create, Spec = spec };
    }
}
