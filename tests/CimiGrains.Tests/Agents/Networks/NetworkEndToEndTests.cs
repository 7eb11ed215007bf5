extern alias agents;
using agents::CimiGrains.Agents;
using agents::CimiGrains.Agents.Drivers;
using agents::CimiGrains.Agents.Networks;
using agents::CimiGrains.Agents.Protocol;
using agents::CimiGrains.Agents.Qemu;
using CimiGrains.Tests.Agents.Qemu;
using Microsoft.Extensions.Logging.Abstractions;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// The drivers on the real network plane (docs/NETWORKS.md, "Drivers"): one test host, a network namespace of the
/// test's own (<c>cimnd{run}</c>, with an underlay device of its own) in which the plane builds the Network's bridge and VXLAN
/// device; two containers of the real engine and a demo VM (whose QEMU runs in that namespace, where its tap is) on one
/// Network. The containers reach each other, and the VM, which took its address from the seed, answers them. Every
/// packet stays on that bridge; deleting the namespace at the end takes whatever a failed test left in it.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NetworkEndToEndTests
{
    [Fact]
    public async Task Two_containers_and_a_VM_on_one_network_on_one_host_reach_each_other_and_leave_nothing_when_deleted()
    {
        await DockerCli.RequireAsync();
        QemuHost.RequireQemu();
        var run = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        var ns = $"cimnd{run}";
        using var qemuHost = new QemuHost();
        await qemuHost.InstallDemoVmAsync();
        var planeState = Directory.CreateTempSubdirectory("cimi-e2eplane-");
        var vmState = Directory.CreateTempSubdirectory("cimi-e2evm-");
        await PlaneRig.RunAsync("ip", "netns", "add", ns);
        IMachineDriver? qemu = null;
        var tenant = $"t{run}";
        string c1 = $"{tenant}/c1", c2 = $"{tenant}/c2", vm = $"{tenant}/vm";
        DockerNetworkHost? docker = null;
        try
        {
            // The underlay: one end of a veth pair that stays in the namespace (this kernel has no dummy devices).
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "add", "underlay", "type", "veth", "peer", "name", "underlay-end");
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "set", "underlay-end", "up");
            await PlaneRig.RunAsync("ip", "-n", ns, "addr", "add", "10.253.0.1/24", "dev", "underlay");
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "set", "underlay", "up");
            LinuxNetworkPlane NewPlane() => new(new NetworkPlaneOptions
            {
                UnderlayAddress = "10.253.0.1", UnderlayDevice = "underlay", Namespace = ns, StateDirectory = planeState.FullName,
            }, NullLogger<LinuxNetworkPlane>.Instance);
            var plane = NewPlane();
            var network = $"{tenant}/net1";
            var vni = (uint)Random.Shared.Next(1000, 0xFFFFFF);
            await plane.ApplyAsync(new NetworkPlaneState(network, tenant, vni, 1450, "PRIVATE", "10.78.0.0/24", null,
                Started: true, [], [], Present: true, Version: 1), default);

            docker = new DockerNetworkHost("nice2e", plane);
            NetworkPlaneInterface Nic(string id, string mac, string address) => new($"{tenant}/{id}", network, vni, mac, [address], null, [], 1450, "PRIVATE", "eth0");
            await docker.Driver.CreateAsync(c1, 1, DockerNetworkHost.Spec(c1, Nic("nic1", "02:00:0a:4e:00:01", "10.78.0.1/24")), default);
            await docker.Driver.CreateAsync(c2, 1, DockerNetworkHost.Spec(c2, Nic("nic2", "02:00:0a:4e:00:02", "10.78.0.2/24")), default);
            var pid1 = await DockerNetworkHost.PidOfAsync(c1);
            Assert.True(await PlaneRig.EventuallyPingsAsync(pid1, "10.78.0.2"), "container c1 does not reach container c2 on their Network");
            Assert.True(await PlaneRig.PingsAsync(await DockerNetworkHost.PidOfAsync(c2), "10.78.0.1"), "container c2 does not reach container c1");

            // A restarted container has a new namespace: it is plugged again and reachable again.
            await docker.Driver.RestartAsync(c2, force: true, default);
            Assert.True(await PlaneRig.EventuallyPingsAsync(pid1, "10.78.0.2"), "container c2 is not reachable after its restart");

            // The agent dies; the next one (a new plane over the same records, a new driver) adopts both containers: their
            // veths stay as they are, and the traffic goes on.
            var veths = await PlaneRig.RunAsync("ip", "-n", ns, "-o", "link", "show", "master", PlaneNames.Bridge(network));
            Assert.Equal(3, Ifindexes(veths).Count); // the VXLAN device and the two containers' veths
            plane = NewPlane();
            await docker.NewAgent(plane).CheckAvailableAsync(default);
            Assert.Equal(Ifindexes(veths), Ifindexes(await PlaneRig.RunAsync("ip", "-n", ns, "-o", "link", "show", "master", PlaneNames.Bridge(network))));
            Assert.True(await PlaneRig.PingsAsync(pid1, "10.78.0.2"), "container c2 is not reachable after the agent's restart");

            var options = new AgentOptions
            {
                HostId = AgentCloud.NewHostId("vme2e"), Controllers = [new Uri("http://127.0.0.1:1")], Secret = "unused", StateDirectory = vmState.FullName,
                NetworkNamespace = ns,
            };
            qemu = new QemuErrors(new QemuDriver(options, new QemuDriverOptions
            {
                ImagesDirectory = qemuHost.ImagesDirectory, RuntimeDirectory = qemuHost.RuntimeDirectory, ConsoleBytes = 65536,
            }, NullLogger<QemuDriver>.Instance, plane));
            await qemu.CheckAvailableAsync(default);
            var created = await qemu.CreateAsync(vm, 1, new WorkloadSpec(QemuAgentFixture.DemoVm, 1, 128 * 1024, tenant, null, null, null, null, Start: true,
                NetworkInterfaces: [Nic("nic3", "02:00:0a:4e:00:03", "10.78.0.3/24")]), default);
            Assert.Equal(ObservedState.Running, created.State);
            await qemuHost.WaitConsoleAsync(vm, c => c.Contains("NET ifaces=eth0 eth0=10.78.0.3/24"), "the VM's address from the seed");
            Assert.True(await PlaneRig.EventuallyPingsAsync(pid1, "10.78.0.3"), "the VM does not answer container c1 on their Network");

            await qemu.DeleteAsync(vm, default);
            await docker.Driver.DeleteAsync(c1, default);
            await docker.Driver.DeleteAsync(c2, default);
            // Nothing of the interfaces is left in the plane's namespace: no veth, no tap (the bridge goes with its last port).
            var links = await PlaneRig.RunAsync("ip", "-n", ns, "-o", "link", "show");
            Assert.DoesNotContain(PlaneNames.VethPrefix, links);
            Assert.DoesNotContain(PlaneNames.TapPrefix, links);
        }
        finally
        {
            if (qemu is not null) await qemu.DeleteAsync(vm, CancellationToken.None);
            if (docker is not null) await docker.DisposeAsync();
            await PlaneRig.TryRunAsync("ip", "netns", "del", ns);
            planeState.Delete(recursive: true);
            vmState.Delete(recursive: true);
        }
    }

    /// <summary>The interface indexes in <c>ip -o link</c> output: a device made again gets a new one.</summary>
    private static IReadOnlyList<string> Ifindexes(string links) =>
        links.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(':', 2)[0]).Order(StringComparer.Ordinal).ToList();
}
