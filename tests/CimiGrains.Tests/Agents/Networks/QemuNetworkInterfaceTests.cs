extern alias agents;
using System.Text;
using agents::CimiGrains.Agents;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Networks;
using agents::CimiGrains.Agents.Qemu;
using CimiGrains.Tests.Agents.Qemu;
using Microsoft.Extensions.Logging.Abstractions;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// The QEMU driver's side of CIMI network interfaces (docs/NETWORKS.md, "Drivers"), booting the demo VM under TCG with
/// a <see cref="RecordingNetworkPlane"/> whose taps are real (on no bridge: no traffic leaves them). What the guest sees
/// comes from its console: the init's NET line (the addresses it took from the seed's network-config) and a userData
/// script that lists the NICs with their MAC and IPv4 addresses whenever they change, one <c>NICWATCH</c> line each time.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuNetworkInterfaceTests
{
    private const string WatchScript = """
        #!/bin/sh
        ( last=x
          while :; do
            now=""
            for n in /sys/class/net/*; do
              n=${n##*/}; [ "$n" = lo ] && continue
              now="$now $n/$(cat /sys/class/net/$n/address)/$(ip -4 -o addr show dev $n | awk '{print $4}' | tr '\n' ',')"
            done
            [ "$now" != "$last" ] && echo "NICWATCH [$now ]" && last="$now"
            sleep 1
          done ) &
        """;

    [Fact]
    public async Task A_VM_takes_its_address_from_the_seed_gets_a_nic_hot_plugged_and_unplugged_and_keeps_its_interfaces_across_a_stop_and_an_agent_restart()
    {
        QemuHost.RequireQemu();
        using var host = new QemuHost();
        await host.InstallDemoVmAsync();
        await using var plane = new RecordingNetworkPlane();
        var state = Directory.CreateTempSubdirectory("cimi-qemunic-state-");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        var machine = $"{tenant}/vm1";
        var eth0 = DockerNetworkHost.Nic($"{tenant}/nic-a", $"{tenant}/net1", "eth0", "10.30.0.5/24", "10.30.0.1") with { Dns = ["10.30.0.1"] };
        var hot = DockerNetworkHost.Nic($"{tenant}/nic-b", $"{tenant}/net2", "", "10.31.0.7/24");
        var options = new AgentOptions { HostId = AgentCloud.NewHostId("qemunic"), Controllers = [new Uri("http://127.0.0.1:1")], Secret = "unused", StateDirectory = state.FullName };
        var qemuOptions = new QemuDriverOptions { ImagesDirectory = host.ImagesDirectory, RuntimeDirectory = host.RuntimeDirectory, ConsoleBytes = 65536 };
        IMachineDriver NewDriver() => new QemuErrors(new QemuDriver(options, qemuOptions, NullLogger<QemuDriver>.Instance, plane));
        var driver = NewDriver();
        await driver.CheckAvailableAsync(default);
        try
        {
            var spec = new WorkloadSpec(QemuAgentFixture.DemoVm, 1, 128 * 1024, tenant, null, null, null,
                Convert.ToBase64String(Encoding.UTF8.GetBytes(WatchScript.Replace("\r", ""))), Start: true, NetworkInterfaces: [eth0]);
            var created = await driver.CreateAsync(machine, 1, spec, default);
            Assert.Equal([eth0.InterfaceId], created.NetworkInterfaces);
            var tap = plane.Taps[eth0.InterfaceId];
            var (pid, arguments) = Assert.Single(host.ProcessesOf(machine));
            Assert.Contains(arguments, a => a.StartsWith($"tap,id=net0,ifname={tap},", StringComparison.Ordinal));
            Assert.Contains(arguments, a => a.StartsWith("virtio-net-pci,", StringComparison.Ordinal) && a.Contains($"mac={eth0.Mac}"));
            // The tap is the VM's uid's: the kernel lets no other uid open it.
            Assert.Equal(await UidOfAsync(pid), (await File.ReadAllTextAsync($"/sys/class/net/{tap}/owner")).Trim());

            // The guest configured the NIC with that MAC from the seed's network-config: no DHCP server anywhere.
            await host.WaitConsoleAsync(machine, c => c.Contains("NET ifaces=eth0 eth0=10.30.0.5/24"), "the address from the seed");
            await WaitNicsAsync(host, machine, n => n.Contains($" eth0/{eth0.Mac}/10.30.0.5/24,"), "eth0 with its address");

            // Hot-plugged: a second NIC with its MAC appears in the running guest; detached, it goes, and so does its tap.
            var attached = await driver.AttachNetworkInterfaceAsync(machine, hot, default);
            Assert.Equal([eth0.InterfaceId, hot.InterfaceId], attached.NetworkInterfaces);
            Assert.Contains($"Tap {hot.InterfaceId} eth1", plane.Calls);
            await WaitNicsAsync(host, machine, n => n.Contains($"/{hot.Mac}/") && n.Contains($"/{eth0.Mac}/"), "the hot-plugged NIC");
            await driver.AttachNetworkInterfaceAsync(machine, hot, default);
            var hotTap = plane.Taps[hot.InterfaceId];
            var detached = await driver.DetachNetworkInterfaceAsync(machine, hot.InterfaceId, default);
            Assert.Equal([eth0.InterfaceId], detached.NetworkInterfaces);
            await WaitNicsAsync(host, machine, n => !n.Contains($"/{hot.Mac}/") && n.Contains($"/{eth0.Mac}/"), "the detached NIC to be gone");
            Assert.DoesNotContain(hotTap, await plane.LeftoverLinksAsync());

            // Attached while stopped: on the next boot's command line, and in the rewritten seed, so the guest configures it.
            await driver.StopAsync(machine, force: true, default);
            await driver.AttachNetworkInterfaceAsync(machine, hot, default);
            await driver.StartAsync(machine, default);
            await host.WaitConsoleAsync(machine, c => LastBoot(c).Contains("NET ifaces=eth0,eth1 eth0=10.30.0.5/24 eth1=10.31.0.7/24"),
                "both NICs configured from the rewritten seed after the start");

            // Suspended and restored: the same guest (no new boot) on the same devices, its NICs and addresses as they were.
            var boots = Count(host.ConsoleOf(machine), "BOOTING");
            await driver.SuspendAsync(machine, default);
            var alive = Count(host.ConsoleOf(machine), " ALIVE ");
            await driver.StartAsync(machine, default);
            await host.WaitConsoleAsync(machine, c => Count(c, " ALIVE ") > alive, "the restored guest to be alive");
            Assert.Equal(boots, Count(host.ConsoleOf(machine), "BOOTING"));
            Assert.Contains(host.ProcessesOf(machine).Single().Arguments, a => a.StartsWith("tap,id=net1,", StringComparison.Ordinal));

            // A new agent adopts the running VM: each tap asked for again (the plane finds it and changes nothing), from the
            // record alone. (It is not asked to inspect: QEMU serves one monitor client, which the first driver still is.)
            var asked = plane.Calls.Count(c => c.StartsWith("Tap ", StringComparison.Ordinal));
            var adopted = NewDriver();
            await adopted.CheckAvailableAsync(default);
            Assert.Equal(asked + 2, plane.Calls.Count(c => c.StartsWith("Tap ", StringComparison.Ordinal)));
            Assert.Equal([eth0.InterfaceId, hot.InterfaceId], (await driver.InspectAsync(machine, default)).NetworkInterfaces);

            await driver.DeleteAsync(machine, default);
            Assert.Contains(eth0.InterfaceId, plane.Unplugged);
            Assert.Empty(await plane.LeftoverLinksAsync());
        }
        finally
        {
            await driver.DeleteAsync(machine, CancellationToken.None);
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_VM_with_interfaces_on_a_host_without_networks_is_refused_naming_the_setting_and_leaves_nothing()
    {
        QemuHost.RequireQemu();
        using var host = new QemuHost();
        await host.InstallDemoVmAsync();
        await using var plane = new RecordingNetworkPlane(enabled: false, underlay: null);
        var state = Directory.CreateTempSubdirectory("cimi-qemunic-state-");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        var options = new AgentOptions { HostId = AgentCloud.NewHostId("qemunoff"), Controllers = [new Uri("http://127.0.0.1:1")], Secret = "unused", StateDirectory = state.FullName };
        IMachineDriver driver = new QemuErrors(new QemuDriver(options,
            new QemuDriverOptions { ImagesDirectory = host.ImagesDirectory, RuntimeDirectory = host.RuntimeDirectory }, NullLogger<QemuDriver>.Instance, plane));
        try
        {
            await driver.CheckAvailableAsync(default);
            var nic = DockerNetworkHost.Nic($"{tenant}/nic-a", $"{tenant}/net1", "eth0", "10.30.0.5/24");
            var refused = await Assert.ThrowsAsync<DriverException>(() => driver.CreateAsync($"{tenant}/vm1", 1,
                new WorkloadSpec(QemuAgentFixture.DemoVm, 1, 128 * 1024, tenant, null, null, null, null, Start: true, NetworkInterfaces: [nic]), default));
            Assert.Contains(MachineNetworkInterfaces.PlaneSetting, refused.Message);
            Assert.Null(host.DirectoryOf($"{tenant}/vm1"));
            Assert.Empty(host.ProcessesOf($"{tenant}/vm1"));
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal)) count++;
        return count;
    }

    private static string LastBoot(string console) =>
        console.LastIndexOf("BOOTING", StringComparison.Ordinal) is var boot and >= 0 ? console[boot..] : console;

    private static Task<string> WaitNicsAsync(QemuHost host, string machine, Func<string, bool> seen, string what) =>
        Eventually.Until(() => Task.FromResult(LatestNics(host.ConsoleOf(machine))), n => n is not null && seen(n),
            $"the guest to list {what}", TimeSpan.FromSeconds(120))!;

    private static string? LatestNics(string console)
    {
        var line = LastBoot(console).Split('\n').LastOrDefault(l => l.Contains("NICWATCH [", StringComparison.Ordinal));
        return line?[(line.IndexOf('[') + 1)..];
    }

    private static async Task<string> UidOfAsync(int pid) =>
        (await File.ReadAllLinesAsync($"/proc/{pid}/status")).First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
}
