using CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// The agent's side of agent.proto's Networks (docs/NETWORKS.md, "Drivers"), a real agent against a fake controller,
/// with a <see cref="RecordingNetworkPlane"/> and the real Docker engine: the underlay in Register, the Networks and
/// each Machine's interfaces in the Inventory, NetworkStates applied in order (a failing one retried and never ending
/// the session), the plane reconciled with the live interfaces, and the interface commands behind the fence.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AgentNetworkProtocolTests
{
    [Fact]
    public async Task The_agent_registers_its_underlay_applies_network_states_in_order_and_plugs_interfaces_through_commands_across_a_restart()
    {
        await using var plane = new RecordingNetworkPlane();
        plane.Networks.Add("tn/net-listed");
        await using var agent = await NetworkAgent.StartAsync(plane, "netproto");
        var session = agent.Session;
        Assert.Equal("192.0.2.10", session.Register.UnderlayAddress);
        var inventory = await session.InventoryAsync();
        Assert.Equal(["tn/net-listed"], inventory.Networks);
        // Reconciled once the inventory is sent, with nothing live yet.
        await Eventually.Until(() => Task.FromResult(plane.Reconciled.Count), n => n == 1, "the plane to be reconciled at session start");
        Assert.Empty(plane.Reconciled.Single());

        var tenant = $"t{Guid.NewGuid():N}"[..12];
        var machine = $"{tenant}/m1";
        // A newer state, then an older one of the same Network: only the newer is applied. One that fails is tried again,
        // and meanwhile the session goes on (a Machine is created and plugged).
        plane.FailApply = $"{tenant}/net-broken";
        session.Send(new ControllerMessage { NetworkState = State($"{tenant}/net1", 2) });
        session.Send(new ControllerMessage { NetworkState = State($"{tenant}/net1", 1) });
        session.Send(new ControllerMessage { NetworkState = State($"{tenant}/net-broken", 1) });
        await Eventually.Until(() => Task.FromResult(plane.Calls.Count(c => c == $"Apply {tenant}/net-broken@1")), n => n >= 2,
            "the failed state to be applied again");

        var create = await session.RunAsync(Create(machine, 1, Nic($"{tenant}/nic-a", $"{tenant}/net1", "10.30.0.5/24")));
        Assert.True(create.Succeeded, $"the create: {create}");
        // Plugged by the create (and maybe again when the engine's start event arrives: the plane changes nothing then).
        var pid = await DockerNetworkHost.PidOfAsync(machine);
        Assert.NotEmpty(plane.Plugs);
        Assert.All(plane.Plugs, p => Assert.Equal(($"{tenant}/nic-a", "eth0", pid), (p.Nic.InterfaceId, p.Nic.Name, p.Pid)));
        var attach = await session.RunAsync(Command(machine, 2, CommandKind.AttachNetworkInterface, Nic($"{tenant}/nic-b", $"{tenant}/net2", "10.31.0.5/24")));
        Assert.True(attach.Succeeded, $"the attach: {attach}");
        Assert.Contains(plane.Plugs, p => (p.Nic.InterfaceId, p.Nic.Name, p.Pid) == ($"{tenant}/nic-b", "eth1", pid));

        plane.FailApply = null;
        await Eventually.Until(() => Task.FromResult(plane.Applied.Select(s => s.NetworkId).ToList()), a => a.Contains($"{tenant}/net-broken"),
            "the failed state to be applied once the plane works again", TimeSpan.FromSeconds(60));
        var net1 = plane.Applied.Where(s => s.NetworkId == $"{tenant}/net1").ToList();
        Assert.Equal([2L], net1.Select(s => s.Version));
        Assert.Equal(("host-b", "192.0.2.20", "02:00:00:00:00:0b"), (net1[0].RemoteEndpoints[0].HostId, net1[0].RemoteEndpoints[0].UnderlayAddress, net1[0].RemoteEndpoints[0].Mac));

        // The agent restarts: the inventory lists the Machine's interfaces, and the plane keeps exactly those.
        inventory = await agent.RestartAsync();
        Assert.Equal([$"{tenant}/nic-a", $"{tenant}/nic-b"], inventory.Workloads.Single(w => w.ResourceId == machine).NetworkInterfaces);
        await Eventually.Until(() => Task.FromResult(plane.Reconciled.Count), n => n == 2, "the plane to be reconciled after the restart");
        Assert.Equal([$"{tenant}/nic-a", $"{tenant}/nic-b"], plane.Reconciled.Last().Order(StringComparer.Ordinal));
        session = agent.Session;

        // A stale detach is fenced; a current one unplugs; the delete unplugs the rest.
        var stale = await session.RunAsync(Command(machine, 1, CommandKind.DetachNetworkInterface, new NetworkInterfaceSpec { InterfaceId = $"{tenant}/nic-a" }));
        Assert.False(stale.Succeeded);
        Assert.DoesNotContain($"{tenant}/nic-a", plane.Unplugged);
        var detach = await session.RunAsync(Command(machine, 3, CommandKind.DetachNetworkInterface, new NetworkInterfaceSpec { InterfaceId = $"{tenant}/nic-a" }));
        Assert.True(detach.Succeeded, $"the detach: {detach}");
        Assert.Equal([$"{tenant}/nic-a"], plane.Unplugged);
        var delete = await session.RunAsync(Command(machine, 4, CommandKind.Delete, null));
        Assert.True(delete.Succeeded, $"the delete: {delete}");
        Assert.Equal([$"{tenant}/nic-a", $"{tenant}/nic-b"], plane.Unplugged);
    }

    [Fact]
    public async Task Without_an_enabled_plane_the_agent_registers_no_underlay_and_refuses_a_machine_with_interfaces_naming_the_setting()
    {
        await using var plane = new RecordingNetworkPlane(enabled: false, underlay: null);
        await using var agent = await NetworkAgent.StartAsync(plane, "netoff");
        Assert.Equal("", agent.Session.Register.UnderlayAddress);
        Assert.Empty((await agent.Session.InventoryAsync()).Networks);
        var tenant = $"t{Guid.NewGuid():N}"[..12];

        var create = await agent.Session.RunAsync(Create($"{tenant}/m1", 1, Nic($"{tenant}/nic-a", $"{tenant}/net1", "10.30.0.5/24")));
        Assert.False(create.Succeeded);
        Assert.Contains("CIMI_AGENT_UNDERLAY_ADDRESS", create.Message);
        Assert.Equal("absent", await DockerCli.StateOfAsync($"{tenant}/m1"));

        // A Machine without interfaces is made as before, and the session is unharmed by a NetworkState it cannot carry.
        agent.Session.Send(new ControllerMessage { NetworkState = State($"{tenant}/net1", 1) });
        var plain = await agent.Session.RunAsync(Create($"{tenant}/m2", 1));
        Assert.True(plain.Succeeded, $"the create without interfaces: {plain}");
        Assert.Empty(plane.Applied);
    }

    private static NetworkState State(string networkId, long version) => new()
    {
        NetworkId = networkId, TenantId = networkId.Split('/')[0], Vni = 4242, Mtu = 1450, NetworkType = "PRIVATE",
        Subnet = "10.30.0.0/24", Gateway = "10.30.0.1", Started = true, Present = true, Version = version,
        RemoteEndpoints = { new NetworkEndpoint { HostId = "host-b", UnderlayAddress = "192.0.2.20", Mac = "02:00:00:00:00:0B", Addresses = { "10.30.0.9/24" } } },
    };

    private static NetworkInterfaceSpec Nic(string id, string network, string address) => new()
    {
        InterfaceId = id, NetworkId = network, Vni = 4242, Mac = $"02:aa:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}:{Random.Shared.Next(256):x2}:01",
        Addresses = { address }, Mtu = 1450, NetworkType = "PRIVATE",
    };

    private static Command Create(string key, long generation, params NetworkInterfaceSpec[] nics)
    {
        var spec = new MachineSpec
        {
            ImageLocation = "docker:" + DockerCli.DemoImage, Cpu = 1, MemoryKib = 64 * 1024, TenantId = key.Split('/')[0], StartAfterCreate = true,
        };
        spec.NetworkInterfaces.AddRange(nics);
        return new Command
        {
            CommandId = Guid.NewGuid().ToString("N"), MachineKey = key, ResourceId = key, Generation = generation, Kind = CommandKind.Create, Spec = spec,
        };
    }

    private static Command Command(string key, long generation, CommandKind kind, NetworkInterfaceSpec? nic)
    {
        var command = new Command
        {
            CommandId = Guid.NewGuid().ToString("N"), MachineKey = key, ResourceId = key, Generation = generation, Kind = kind, Force = kind == CommandKind.Delete,
        };
        if (nic is not null) command.NetworkInterface = nic;
        return command;
    }
}
