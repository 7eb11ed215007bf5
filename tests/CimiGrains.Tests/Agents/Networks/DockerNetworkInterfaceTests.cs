extern alias agents;
using agents::CimiGrains.Agents.Docker;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// The Docker driver's side of CIMI network interfaces (docs/NETWORKS.md, "Drivers"), against the real engine, with a
/// <see cref="RecordingNetworkPlane"/>: a container on Networks has no engine networking, and each of its interfaces is
/// plugged into the namespace of every start of it (by a command, behind the agent's back, at adoption), kept in a
/// record outside the container that outlives the agent, plugged and unplugged live by attach and detach.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DockerNetworkInterfaceTests
{
    [Fact]
    public async Task A_container_on_networks_has_only_loopback_from_the_engine_and_gets_its_interfaces_plugged_after_every_start()
    {
        await DockerCli.RequireAsync();
        await using var plane = new RecordingNetworkPlane();
        await using var host = new DockerNetworkHost("nicstart", plane);
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        var machine = $"{tenant}/m1";
        var eth0 = DockerNetworkHost.Nic($"{tenant}/nic-a", $"{tenant}/net1", "eth0", "10.30.0.5/24", "10.30.0.1");
        var eth1 = DockerNetworkHost.Nic($"{tenant}/nic-b", $"{tenant}/net2", "eth1", "10.31.0.5/24");

        var created = await host.Driver.CreateAsync(machine, 1, DockerNetworkHost.Spec(machine, eth0, eth1), default);
        Assert.Equal(ObservedState.Running, created.State);
        Assert.Equal([eth0.InterfaceId, eth1.InterfaceId], created.NetworkInterfaces);
        var container = await DockerCli.InspectAsync(ContainerNaming.For(machine));
        Assert.Equal("none", container["HostConfig"]!["NetworkMode"]!.GetValue<string>());
        // The engine gave it nothing but its loopback (the plane here plugs nothing for real).
        var links = (await DockerNetworkHost.ShAsync(machine, "cat /proc/net/dev")).Output;
        Assert.DoesNotContain("eth", links);
        Assert.Contains("lo:", links);

        var firstPid = await DockerNetworkHost.PidOfAsync(machine);
        var first = plane.Plugs.ToList();
        Assert.Equal(["eth0", "eth1"], first.Select(p => p.Nic.Name));
        Assert.All(first, p => Assert.Equal(firstPid, p.Pid));
        Assert.Equal((eth0.InterfaceId, eth0.Mac, eth0.Gateway), (first[0].Nic.InterfaceId, first[0].Nic.Mac, first[0].Nic.Gateway));
        Assert.Equal(eth0.Addresses, first[0].Nic.Addresses);

        // A restart makes a new namespace: plugged again, into it.
        await host.Driver.RestartAsync(machine, force: false, default);
        var afterRestart = plane.Plugs.Skip(2).ToList();
        Assert.Equal(["eth0", "eth1"], afterRestart.Select(p => p.Nic.Name));
        var restartedPid = await DockerNetworkHost.PidOfAsync(machine);
        Assert.All(afterRestart, p => Assert.Equal(restartedPid, p.Pid));
        Assert.NotEqual(first[0].Namespace, afterRestart[0].Namespace);

        // So does a stop and a start.
        await host.Driver.StopAsync(machine, force: true, default);
        Assert.Equal(4, plane.Plugs.Count);
        await host.Driver.StartAsync(machine, default);
        Assert.Equal(6, plane.Plugs.Count);
        Assert.Equal(await DockerNetworkHost.PidOfAsync(machine), plane.Plugs.Last().Pid);

        // A start the agent did not ask for (docker restart by hand) is plugged when the engine reports it.
        using var watching = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watcher = Task.Run(async () =>
        {
            await foreach (var _ in host.Driver.WatchAsync(watching.Token))
            {
            }
        }, watching.Token);
        await DockerCli.RunAsync("restart", "-t", "1", ContainerNaming.For(machine));
        var pid = await DockerNetworkHost.PidOfAsync(machine);
        await Eventually.Until(() => Task.FromResult(plane.Plugs.Count(p => p.Pid == pid)), n => n == 2,
            "both interfaces to be plugged into the container restarted behind the agent's back", TimeSpan.FromSeconds(30));
        await watching.CancelAsync();
        await watcher.ContinueWith(_ => { }, TaskScheduler.Default);

        await host.Driver.DeleteAsync(machine, default);
        Assert.Equal([eth0.InterfaceId, eth1.InterfaceId], plane.Unplugged.Order(StringComparer.Ordinal));
        Assert.False(File.Exists(host.RecordOf(machine)), "the network record outlived its container");
    }

    [Fact]
    public async Task Attach_plugs_live_detach_unplugs_and_a_restarted_agent_adopts_the_interfaces_from_their_record()
    {
        await DockerCli.RequireAsync();
        await using var plane = new RecordingNetworkPlane();
        await using var host = new DockerNetworkHost("nicattach", plane);
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string machine = $"{tenant}/m1", gone = $"{tenant}/gone";
        var eth0 = DockerNetworkHost.Nic($"{tenant}/nic-a", $"{tenant}/net1", "eth0", "10.30.0.5/24");
        var later = DockerNetworkHost.Nic($"{tenant}/nic-b", $"{tenant}/net2", "", "10.31.0.7/24");
        var goneNic = DockerNetworkHost.Nic($"{tenant}/nic-c", $"{tenant}/net1", "eth0", "10.30.0.6/24");
        await host.Driver.CreateAsync(machine, 1, DockerNetworkHost.Spec(machine, eth0), default);
        await host.Driver.CreateAsync(gone, 1, DockerNetworkHost.Spec(gone, goneNic), default);

        // Attached live: plugged at once into the running container, named after the ones it has.
        var attached = await host.Driver.AttachNetworkInterfaceAsync(machine, later, default);
        Assert.Equal([eth0.InterfaceId, later.InterfaceId], attached.NetworkInterfaces);
        var plugged = plane.Plugs.Last();
        Assert.Equal((later.InterfaceId, "eth1", await DockerNetworkHost.PidOfAsync(machine)), (plugged.Nic.InterfaceId, plugged.Nic.Name, plugged.Pid));
        // Again: idempotent, the same name; the same id on another Network is refused.
        await host.Driver.AttachNetworkInterfaceAsync(machine, later, default);
        Assert.Equal("eth1", plane.Plugs.Last().Nic.Name);
        var moved = await Assert.ThrowsAsync<DriverException>(() => host.Driver.AttachNetworkInterfaceAsync(machine, later with { NetworkId = $"{tenant}/net9" }, default));
        Assert.Contains("detach it first", moved.Message);

        // The agent dies. Meanwhile one container restarts (new namespace, nothing plugged) and the other is removed.
        await DockerCli.RunAsync("restart", "-t", "1", ContainerNaming.For(machine));
        await DockerCli.RunAsync("rm", "-f", ContainerNaming.For(gone));
        var before = plane.Plugs.Count;
        var agent = host.NewAgent();
        await agent.CheckAvailableAsync(default);
        var pid = await DockerNetworkHost.PidOfAsync(machine);
        var adopted = plane.Plugs.Skip(before).ToList();
        Assert.Equal([("eth0", pid), ("eth1", pid)], adopted.Select(p => (p.Nic.Name, p.Pid)));
        Assert.Contains(goneNic.InterfaceId, plane.Unplugged);
        Assert.False(File.Exists(host.RecordOf(gone)), "the record of the removed container was kept");
        var listed = await agent.ListAsync(default);
        Assert.Equal([eth0.InterfaceId, later.InterfaceId], listed.Single(w => w.MachineKey == machine).NetworkInterfaces);

        var detached = await agent.DetachNetworkInterfaceAsync(machine, eth0.InterfaceId, default);
        Assert.Equal([later.InterfaceId], detached.NetworkInterfaces);
        Assert.Equal(eth0.InterfaceId, plane.Unplugged.Last());
        // Detaching what is not plugged succeeds and unplugs nothing more.
        var unplugs = plane.Unplugged.Count;
        await agent.DetachNetworkInterfaceAsync(machine, eth0.InterfaceId, default);
        Assert.Equal(unplugs, plane.Unplugged.Count);
        // The next start plugs only what is left, under the name it had.
        await agent.RestartAsync(machine, force: true, default);
        Assert.Equal(("eth1", await DockerNetworkHost.PidOfAsync(machine)), (plane.Plugs.Last().Nic.Name, plane.Plugs.Last().Pid));
        await agent.DeleteAsync(machine, default);
    }

    [Fact]
    public async Task A_machine_with_interfaces_on_a_host_without_networks_is_refused_naming_the_setting_and_leaves_nothing()
    {
        await DockerCli.RequireAsync();
        await using var plane = new RecordingNetworkPlane(enabled: false, underlay: null);
        await using var host = new DockerNetworkHost("nicoff", plane);
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string machine = $"{tenant}/m1", plain = $"{tenant}/plain";
        var nic = DockerNetworkHost.Nic($"{tenant}/nic-a", $"{tenant}/net1", "eth0", "10.30.0.5/24");

        var refused = await Assert.ThrowsAsync<DriverException>(() => host.Driver.CreateAsync(machine, 1, DockerNetworkHost.Spec(machine, nic), default));
        Assert.Contains(MachineNetworkInterfaces.PlaneSetting, refused.Message);
        Assert.Equal("absent", await DockerCli.StateOfAsync(machine));
        Assert.False(File.Exists(host.RecordOf(machine)));
        Assert.Empty(plane.Plugs);

        // A Machine without interfaces keeps the engine's networking on its tenant's network, and cannot get one later.
        await host.Driver.CreateAsync(plain, 1, DockerNetworkHost.Spec(plain), default);
        Assert.NotEqual("none", (await DockerCli.InspectAsync(ContainerNaming.For(plain)))["HostConfig"]!["NetworkMode"]!.GetValue<string>());
        var attach = await Assert.ThrowsAsync<DriverException>(() => host.Driver.AttachNetworkInterfaceAsync(plain, nic, default));
        Assert.Contains(MachineNetworkInterfaces.PlaneSetting, attach.Message);

        // Bad interfaces are refused before anything is made, saying what is wrong.
        await using var enabled = new RecordingNetworkPlane();
        await using var other = new DockerNetworkHost("nicbad", enabled);
        foreach (var (bad, why) in new[]
        {
            (nic with { Mac = "01:00:5e:00:00:01" }, "unicast"),
            (nic with { Addresses = ["10.30.0.5"] }, "prefix"),
            (nic with { Gateway = "gateway" }, "gateway"),
        })
        {
            var error = await Assert.ThrowsAsync<DriverException>(() => other.Driver.CreateAsync(machine, 1, DockerNetworkHost.Spec(machine, bad), default));
            Assert.Contains(why, error.Message);
            Assert.Equal("absent", await DockerCli.StateOfAsync(machine));
        }
        var twice = await Assert.ThrowsAsync<DriverException>(() => other.Driver.CreateAsync(machine, 1, DockerNetworkHost.Spec(machine, nic, nic with { Name = "eth1" }), default));
        Assert.Contains("twice", twice.Message);
        Assert.False(File.Exists(other.RecordOf(machine)));
    }
}
