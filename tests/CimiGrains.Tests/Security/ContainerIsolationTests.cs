using CimiGrains.Tests.Agents;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Security;

/// <summary>
/// Isolation below the API (issue 9, finding 9): each tenant's containers on their own bridge network,
/// unreachable from other tenants' containers, and confined by the agent's container defaults.
/// Traffic stays on the bridges the agent made: nothing here dials an address off this host.
/// </summary>
public sealed class ContainerIsolationTests(ContainerIsolationTests.Fixture fixture) : IClassFixture<ContainerIsolationTests.Fixture>
{
    /// <summary>One gateway and agent for these tests; the agent offers more CPUs than the machine has (the
    /// driver caps each container at the real count) so that three one-CPU Machines fit on a 2-core host.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public AgentCloud Cloud { get; private set; } = null!;
        public string HostId { get; } = AgentCloud.NewHostId("iso");

        public async Task InitializeAsync()
        {
            Cloud = await AgentCloud.StartAsync("isolation");
            await Cloud.StartAgentAsync(HostId, new Dictionary<string, string> { ["CIMI_AGENT_CPU"] = "16" });
        }

        public async Task DisposeAsync() => await Cloud.DisposeAsync();
    }

    private const int ProbePort = 8080;

    [Fact]
    public async Task A_tenants_containers_reach_each_other_and_no_other_tenants_container_reaches_them()
    {
        var (a, templateA) = await fixture.Cloud.NewTenantAsync();
        var (b, templateB) = await fixture.Cloud.NewTenantAsync();
        var (a1Id, a1Key) = await CreateAsync(a, templateA);
        var (a2Id, a2Key) = await CreateAsync(a, templateA);
        var (b1Id, b1Key) = await CreateAsync(b, templateB);
        var a1 = (await DockerCli.ContainersOfAsync(a1Key)).Single();
        var a2 = (await DockerCli.ContainersOfAsync(a2Key)).Single();
        var b1 = (await DockerCli.ContainersOfAsync(b1Key)).Single();

        var a1Networks = await DockerNetworks.AddressesOfAsync(a1);
        var (network, a1Address) = Assert.Single(a1Networks);
        Assert.NotEqual("bridge", network);
        Assert.Equal(a1Networks.Keys, (await DockerNetworks.AddressesOfAsync(a2)).Keys);
        var bNetwork = Assert.Single(await DockerNetworks.AddressesOfAsync(b1)).Key;
        Assert.NotEqual(network, bNetwork);
        var inspected = await DockerNetworks.InspectAsync(network);
        Assert.Equal(a1Key.Split('/')[0], inspected["Labels"]!["cimigrains.tenant"]!.GetValue<string>());
        Assert.Equal(fixture.HostId, inspected["Labels"]!["cimigrains.host"]!.GetValue<string>());
        // Outbound is off by default: an internal network has no route off the host.
        Assert.True(inspected["Internal"]!.GetValue<bool>(), $"the tenant network should be internal: {inspected}");

        // A TCP service in a1; a2 (same tenant) fetches from it, b1 (another tenant) cannot connect.
        await DockerCli.RunAsync("exec", a1, "busybox", "httpd", "-p", ProbePort.ToString(), "-h", "/run/cimi");
        var fetched = await Eventually.Until(() => FetchAsync(a2, a1Address), r => r.Ok && r.Output.Contains("ready"),
            $"a2 to fetch /state from a1 at {a1Address}:{ProbePort}");
        Assert.Contains("200 OK", fetched.Output);
        var fromB = await FetchAsync(b1, a1Address);
        Assert.False(fromB.Ok || fromB.Output.Contains("ready"), $"tenant B's container fetched from tenant A's: {fromB.Output}");

        await DeleteAsync(a, a1Id);
        await DeleteAsync(a, a2Id);
        await DeleteAsync(b, b1Id);
    }

    [Fact]
    public async Task Containers_have_a_pids_limit_no_new_privileges_and_only_the_minimal_capabilities()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var (id, key) = await CreateAsync(client, template);
        var container = (await DockerCli.ContainersOfAsync(key)).Single();

        var host = (await DockerCli.InspectAsync(container))["HostConfig"]!;
        Assert.Equal(256, host["PidsLimit"]!.GetValue<long>());
        Assert.Contains("no-new-privileges:true", host["SecurityOpt"]!.AsArray().Select(o => o!.GetValue<string>()));
        Assert.Equal(["ALL"], host["CapDrop"]!.AsArray().Select(c => c!.GetValue<string>()));
        var added = host["CapAdd"]!.AsArray().Select(c => c!.GetValue<string>().Replace("CAP_", "")).ToList();
        Assert.DoesNotContain("NET_RAW", added);
        Assert.DoesNotContain("MKNOD", added);
        Assert.DoesNotContain("SYS_ADMIN", added);
        Assert.False(host["Privileged"]!.GetValue<bool>());

        // What the kernel enforces on the Machine's processes, not only what the engine was told.
        var status = await DockerCli.RunAsync("exec", container, "cat", "/proc/1/status");
        Assert.Contains("NoNewPrivs:\t1", status);
        var effective = Convert.ToUInt64(status.Split('\n').Single(l => l.StartsWith("CapEff:", StringComparison.Ordinal))[7..].Trim(), 16);
        const int NetRaw = 13, Mknod = 27, SysAdmin = 21;
        foreach (var bit in new[] { NetRaw, Mknod, SysAdmin })
            Assert.True((effective & (1UL << bit)) == 0, $"capability bit {bit} is effective in the container: {effective:x}");
        Assert.Equal("256", await DockerCli.RunAsync("exec", container, "sh", "-c",
            "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"));

        await DeleteAsync(client, id);
    }

    [Fact]
    public async Task A_tenants_network_goes_with_its_last_Machine()
    {
        var (client, template) = await fixture.Cloud.NewTenantAsync();
        var (firstId, firstKey) = await CreateAsync(client, template);
        var (secondId, _) = await CreateAsync(client, template);
        var tenant = firstKey.Split('/')[0];
        var network = Assert.Single(await DockerNetworks.OfHostAsync(fixture.HostId, tenant));

        await DeleteAsync(client, firstId);
        Assert.Equal([network], await DockerNetworks.OfHostAsync(fixture.HostId, tenant));

        await DeleteAsync(client, secondId);
        await Eventually.Until(() => DockerNetworks.OfHostAsync(fixture.HostId, tenant), n => n.Count == 0,
            $"the network {network} of tenant {tenant} to be removed with its last Machine");
    }

    [Fact]
    public async Task A_container_cannot_reach_a_service_the_host_offers_on_all_its_addresses()
    {
        // A host service bound to 0.0.0.0 (as PostgreSQL, the agent API or a provider's tooling may be) is
        // reachable at the bridge's own address unless the agent guards the host's input from its bridges.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = 0;
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var client = await listener.AcceptTcpClientAsync(stop.Token);
                Interlocked.Increment(ref accepted);
                await client.GetStream().WriteAsync("host-service\n"u8.ToArray(), stop.Token);
            }
        });

        var (a, template) = await fixture.Cloud.NewTenantAsync();
        var (id, key) = await CreateAsync(a, template);
        var container = (await DockerCli.ContainersOfAsync(key)).Single();
        var network = Assert.Single(await DockerNetworks.AddressesOfAsync(container)).Key;
        var gateway = (await DockerNetworks.InspectAsync(network))["IPAM"]!["Config"]![0]!["Gateway"]!.GetValue<string>();
        string output;
        try
        {
            output = await DockerCli.RunAsync("exec", container, "sh", "-c", $"busybox nc -w 3 {gateway} {port} </dev/null; echo rc=$?");
        }
        catch (InvalidOperationException e)
        {
            output = e.Message;
        }
        await stop.CancelAsync();
        listener.Stop();
        await Task.WhenAny(serving, Task.Delay(1000));
        Assert.DoesNotContain("host-service", output);
        Assert.Equal(0, Volatile.Read(ref accepted));
        await DeleteAsync(a, id);
    }

    [Fact]
    public async Task An_agent_removes_its_hosts_unused_networks_at_start_and_leaves_other_hosts_alone()
    {
        var hostId = AgentCloud.NewHostId("netgc");
        var otherHost = AgentCloud.NewHostId("netother");
        var leftover = $"cimi-leftover-{Guid.NewGuid():N}"[..30];
        var foreign = $"cimi-foreign-{Guid.NewGuid():N}"[..30];
        await CreateTenantNetworkAsync(leftover, hostId);
        await CreateTenantNetworkAsync(foreign, otherHost);
        try
        {
            // As after a kill -9 between removing a tenant's last container and its network.
            await fixture.Cloud.StartAgentAsync(hostId);
            await Eventually.Until(() => DockerNetworks.OfHostAsync(hostId), n => n.Count == 0,
                $"the agent of {hostId} to remove its leftover network {leftover}");
            Assert.Equal([foreign], await DockerNetworks.OfHostAsync(otherHost));
        }
        finally
        {
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
            await DockerNetworks.RemoveHostNetworksAsync(otherHost);
        }
    }

    private static Task CreateTenantNetworkAsync(string name, string hostId) =>
        DockerCli.RunAsync("network", "create", "--internal",
            "--label", "cimigrains.network=tenant", "--label", "cimigrains.tenant=t-leftover", "--label", $"cimigrains.host={hostId}", name);

    /// <summary>A TCP connection and an HTTP GET of /state from inside a container, bounded by nc's own timeout
    /// (the static busybox's wget crashes resolving even a literal address; its nc does not resolve).</summary>
    private static async Task<(bool Ok, string Output)> FetchAsync(string fromContainer, string address)
    {
        try
        {
            return (true, await DockerCli.RunAsync("exec", fromContainer, "sh", "-c",
                $"printf 'GET /state HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 {address} {ProbePort}"));
        }
        catch (InvalidOperationException e)
        {
            return (false, e.Message);
        }
    }
}
