using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Tests.Grains.Networks;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// Machines on Networks (docs/NETWORKS.md "Machines on Networks"), against a fake host that runs containers and
/// real Network grains: what the host is sent, what the Network leases and gets back, and what a refusal, a
/// delete, a full Network or another tenant's Network does.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class MachineNetworkInterfaceTests(GrainClusterFixture fixture)
{
    /// <summary>A host that runs docker Machines and has an underlay address; disconnected at disposal.</summary>
    private sealed class DockerHost(GrainClusterFixture fixture) : IAsyncDisposable
    {
        private string? _session;
        private IAgentObserver? _reference;

        public FakeHost Host { get; } = new("n" + Guid.NewGuid().ToString("N")[..10]);

        public async Task<DockerHost> ConnectAsync()
        {
            _reference = fixture.Cluster.Client.CreateObjectReference<IAgentObserver>(Host);
            _session = Guid.NewGuid().ToString("N");
            await fixture.Grains.GetGrain<IHostGrain>(Host.HostId).Connect(
                new HostRegistration(Host.HostId, 4, 4_000_000, 40_000_000, ["docker"], new Dictionary<string, string>(), "test",
                    UnderlayAddress: "192.0.2.1"), _session, _reference);
            return this;
        }

        public async ValueTask DisposeAsync()
        {
            if (_session is null) return;
            await fixture.Grains.GetGrain<IHostGrain>(Host.HostId).Disconnect(_session, "the test ended");
            fixture.Cluster.Client.DeleteObjectReference<IAgentObserver>(_reference!);
        }
    }

    private async Task<MachineTemplate> TemplateAsync(string tenant, IReadOnlyList<MachineTemplateNetworkInterface>? interfaces = null)
    {
        var config = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));
        if (await config.GetInternal() is null) await config.Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });
        return new MachineTemplate
        {
            MachineConfig = new MachineConfiguration { Href = "machineConfigs/c" },
            MachineImage = new MachineImage { ImageLocation = "docker:cimigrains/demo:latest" },
            NetworkInterfaces = interfaces,
        };
    }

    private async Task<Job> FinishedAsync(string tenant, string jobId) =>
        await Eventually.Until(() => fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, jobId)).Get(),
            j => j.State is JobStateName.SUCCESS or JobStateName.FAILED, $"Job '{jobId}' to finish");

    private async Task<(IMachineGrain Machine, HostCommand Create)> RunningAsync(FakeHost host, string tenant, string id, MachineTemplate template)
    {
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, id));
        await machine.Create(new MachineCreate { Name = id, MachineTemplate = template }, "create-" + id);
        var create = await host.NextAsync();
        Assert.Equal(HostCommandKind.Create, create.Kind);
        await machine.OnHostReport(host.Answer(create, succeeded: true));
        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "create-" + id)).State);
        return (machine, create);
    }

    private static MachineNetworkInterface On(string network, string? ip = null, string? state = null, int? mtu = null) => new()
    {
        Network = new ResourceRef($"networks/{network}"), State = state, Mtu = mtu,
        Properties = ip is null ? null : new Dictionary<string, string> { [MachineNetworkInterfaces.StaticAddressProperty] = ip },
    };

    private static MachineTemplateNetworkInterface TemplateOn(string network, string? ip = null) => new()
    {
        Network = new ResourceRef($"networks/{network}"), Addresses = ip is null ? null : [new MachineTemplateAddress { Ip = ip }],
    };

    /// <summary>The address a fresh lease of <paramref name="network"/> gets: the lowest free one.</summary>
    private static async Task<string> NextFreeAsync(INetworkGrain network, string tenant)
    {
        var probe = "probe-" + Guid.NewGuid().ToString("N")[..6];
        var lease = await network.Lease(GrainKeys.Of(tenant, probe), "eth0", new NetworkInterfaceRequest(null, null));
        await network.Release(GrainKeys.Of(tenant, probe), "eth0");
        return lease.Addresses[0];
    }

    [Fact]
    public async Task Attach_leases_an_address_sends_AttachNetworkInterface_and_on_success_the_interface_is_ACTIVE()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var network = await NetworkFixtures.CreatedAsync(fixture, tenant, "n1");
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));

        var accepted = await machine.AttachNetworkInterface(On("n1"), "attach");

        var nic = accepted.MachineNetworkInterface;
        Assert.StartsWith("machines/m1/networkInterfaces/", nic.Id);
        Assert.Equal(("attaching", MachineNetworkInterfaces.Passive, "networks/n1"), (nic.Properties![MachineNetworkInterfaces.StatusProperty], nic.State, nic.Network!.Href));
        var command = await host.NextAsync();
        Assert.Equal(HostCommandKind.AttachNetworkInterface, command.Kind);
        var spec = command.NetworkInterface!;
        Assert.Equal((GrainKeys.Of(tenant, "n1"), nic.MacAddress, (uint)(await network.Get()).Vni!.Value), (spec.NetworkKey, spec.Mac, spec.Vni));
        Assert.Equal(["10.42.0.2/24"], spec.Addresses);
        Assert.Equal(nic.Id, $"machines/m1/networkInterfaces/{spec.InterfaceId}");
        Assert.Equal([spec.InterfaceId], command.Spec!.NetworkInterfaces!.Select(n => n.InterfaceId));
        // The Network knows the interface's host already: it tells that host of itself.
        await Eventually.Until(() => fixture.Grains.GetGrain<IHostGrain>(host.HostId).GetNetworks(),
            v => v.Any(n => n.NetworkKey == GrainKeys.Of(tenant, "n1") && n.Present), "the Network to tell the Machine's host of itself");

        await machine.OnHostReport(host.Answer(command, succeeded: true));

        var job = await FinishedAsync(tenant, "attach");
        Assert.Equal(JobStateName.SUCCESS, job.State);
        Assert.Contains(job.AffectedResources!, r => r.Href == "networks/n1");
        var attached = Assert.Single(await machine.GetNetworkInterfaces());
        Assert.Equal(("attached", MachineNetworkInterfaces.Active, 1450, "PRIVATE"),
            (attached.Properties![MachineNetworkInterfaces.StatusProperty], attached.State, attached.Mtu, attached.NetworkType));
        Assert.Equal($"{attached.Id}/addresses", attached.Addresses!.Href);
        Assert.NotNull(attached.NetworkPort);
        var address = Assert.Single(await machine.GetNetworkInterfaceAddresses(spec.InterfaceId));
        Assert.StartsWith("addresses/", address.Address!.Href);
        Assert.Equal("10.42.0.2", (await fixture.Grains.GetGrain<IAddressGrain>(GrainKeys.Of(tenant, address.Address.Href["addresses/".Length..])).Get()).Ip);
        Assert.Equal(MachineStateName.STARTED, (await machine.Get()).State);
        Assert.Equal("machines/m1/networkInterfaces", (await machine.Get()).NetworkInterfaces!.Href);

        // Every later command's spec carries it, so a re-create keeps it.
        await machine.Act(MachineAction.Stop, force: false, "stop");
        Assert.Equal([spec], (await host.NextAsync()).Spec!.NetworkInterfaces!, InterfaceSpecComparer.Instance);
    }

    [Fact]
    public async Task Detach_sends_DetachNetworkInterface_then_gives_the_address_back_and_a_refused_attach_holds_nothing()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var network = await NetworkFixtures.CreatedAsync(fixture, tenant, "n1");
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));
        var accepted = await machine.AttachNetworkInterface(On("n1", ip: "10.42.0.77"), "attach");
        var attach = await host.NextAsync();
        Assert.Equal(["10.42.0.77/24"], attach.NetworkInterface!.Addresses);
        await machine.OnHostReport(host.Answer(attach, succeeded: true));
        await FinishedAsync(tenant, "attach");
        var interfaceId = attach.NetworkInterface.InterfaceId;

        var detaching = await machine.DetachNetworkInterface(interfaceId, "detach");

        Assert.Equal("detaching", detaching.MachineNetworkInterface.Properties![MachineNetworkInterfaces.StatusProperty]);
        var command = await host.NextAsync();
        Assert.Equal((HostCommandKind.DetachNetworkInterface, interfaceId), (command.Kind, command.NetworkInterface!.InterfaceId));
        Assert.Null(command.Spec!.NetworkInterfaces);
        // Still the interface's until the host unplugged it.
        var taken = await Assert.ThrowsAsync<CimiException>(() => network.Lease(GrainKeys.Of(tenant, "other"), "eth0", new NetworkInterfaceRequest("10.42.0.77", null)));
        Assert.Equal(CimiErrorKind.Conflict, taken.Kind);
        await machine.OnHostReport(host.Answer(command, succeeded: true));

        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "detach")).State);
        Assert.Empty(await machine.GetNetworkInterfaces());
        Assert.Equal(["10.42.0.77/24"], (await network.Lease(GrainKeys.Of(tenant, "other"), "eth0", new NetworkInterfaceRequest("10.42.0.77", null))).Addresses);
        await network.Release(GrainKeys.Of(tenant, "other"), "eth0");
        var missing = await Assert.ThrowsAsync<CimiException>(() => machine.DetachNetworkInterface(interfaceId, "again"));
        Assert.Equal(CimiErrorKind.NotFound, missing.Kind);

        // An attach the host refuses: the Job says why and the lease is given back.
        await machine.AttachNetworkInterface(On("n1"), "refused");
        await machine.OnHostReport(host.Answer(await host.NextAsync(), succeeded: false, "no bridge for the Network"));
        var job = await FinishedAsync(tenant, "refused");
        Assert.Equal(JobStateName.FAILED, job.State);
        Assert.Contains("no bridge", job.StatusMessage);
        Assert.Empty(await machine.GetNetworkInterfaces());
        Assert.Equal("10.42.0.2/24", await NextFreeAsync(network, tenant));
        Assert.Equal(MachineStateName.STARTED, (await machine.Get()).State);
    }

    [Fact]
    public async Task A_create_with_networkInterfaces_carries_them_and_its_delete_gives_the_addresses_back()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var one = await NetworkFixtures.CreatedAsync(fixture, tenant, "one");
        var two = await NetworkFixtures.CreatedAsync(fixture, tenant, "two", "10.43.0.0/24");

        var (machine, create) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant, [TemplateOn("one"), TemplateOn("two", "10.43.0.9")]));

        Assert.Equal(["10.42.0.2/24", "10.43.0.9/24"], create.Spec!.NetworkInterfaces!.Select(n => n.Addresses[0]));
        Assert.Equal([GrainKeys.Of(tenant, "one"), GrainKeys.Of(tenant, "two")], create.Spec.NetworkInterfaces!.Select(n => n.NetworkKey));
        var interfaces = await machine.GetNetworkInterfaces();
        Assert.Equal(["networks/one", "networks/two"], interfaces.Select(n => n.Network!.Href));
        Assert.All(interfaces, n => Assert.Equal(MachineNetworkInterfaces.Active, n.State));
        Assert.Equal("10.42.0.3/24", await NextFreeAsync(one, tenant));

        await machine.Delete("delete");
        var delete = await host.NextAsync();
        Assert.Equal(HostCommandKind.Delete, delete.Kind);
        await machine.OnHostReport(host.Answer(delete, succeeded: true));
        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "delete")).State);

        Assert.Equal("10.42.0.2/24", await NextFreeAsync(one, tenant));
        Assert.Equal(["10.43.0.9/24"], (await two.Lease(GrainKeys.Of(tenant, "later"), "eth0", new NetworkInterfaceRequest("10.43.0.9", null))).Addresses);
    }

    [Fact]
    public async Task A_Network_refuses_its_delete_naming_a_Machine_that_holds_a_lease_and_drops_a_lease_no_Machine_holds()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var network = await NetworkFixtures.CreatedAsync(fixture, tenant, "n1");
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant, [TemplateOn("n1")]));
        // A lease whose release was lost: its Machine was never stored (a create cut short between its lease and its write).
        var lost = await network.Lease(GrainKeys.Of(tenant, "m-lost"), "eth0", new NetworkInterfaceRequest(null, null));

        var refused = await Assert.ThrowsAsync<CimiException>(() => network.Delete());
        Assert.Equal(CimiErrorKind.Conflict, refused.Kind);
        Assert.Contains("machines/m1", refused.Message);
        Assert.DoesNotContain("machines/m-lost", refused.Message);
        Assert.DoesNotContain(GrainKeys.Split(lost.NetworkPortKey).LocalId, await network.GetPortIds());
        Assert.Null(await fixture.Grains.GetGrain<IAddressGrain>(lost.AddressKeys[0]).GetInternal());
        // The lost lease's address is free again; the Machine's is still its.
        Assert.Equal(lost.Addresses[0], await NextFreeAsync(network, tenant));
        Assert.Single(await machine.GetNetworkInterfaces());

        await machine.Delete("delete");
        await machine.OnHostReport(host.Answer(await host.NextAsync(), succeeded: true));
        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "delete")).State);
        await network.Delete();
        Assert.Null(await network.GetInternal());
    }

    [Fact]
    public async Task A_create_its_host_refused_keeps_its_leases_for_the_next_start_and_its_delete_releases_them()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var network = await NetworkFixtures.CreatedAsync(fixture, tenant, "n1");
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m1"));
        await machine.Create(new MachineCreate { MachineTemplate = await TemplateAsync(tenant, [TemplateOn("n1")]) }, "create");
        var create = await host.NextAsync();
        await machine.OnHostReport(host.Answer(create, succeeded: false, "no such image"));
        Assert.Equal(JobStateName.FAILED, (await FinishedAsync(tenant, "create")).State);

        // Placed on the host: the interface keeps its address, and the next start carries it.
        Assert.Equal(MachineNetworkInterfaces.Active, Assert.Single(await machine.GetNetworkInterfaces()).State);
        Assert.Equal("10.42.0.3/24", await NextFreeAsync(network, tenant));
        await machine.Act(MachineAction.Start, force: false, "start");
        var start = await host.NextAsync();
        Assert.Equal(create.Spec!.NetworkInterfaces!, start.Spec!.NetworkInterfaces!, InterfaceSpecComparer.Instance);
        await machine.OnHostReport(host.Answer(start, succeeded: true));
        await FinishedAsync(tenant, "start");

        await machine.Delete("delete");
        await machine.OnHostReport(host.Answer(await host.NextAsync(), succeeded: true));
        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "delete")).State);
        Assert.Equal("10.42.0.2/24", await NextFreeAsync(network, tenant));
    }

    [Fact]
    public async Task A_Network_that_cannot_give_an_address_is_a_409_naming_it_and_nothing_is_left_leased()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var tenant = GrainClusterFixture.NewTenant();
        var one = await NetworkFixtures.CreatedAsync(fixture, tenant, "one");
        var two = await NetworkFixtures.CreatedAsync(fixture, tenant, "two", "10.43.0.0/24");
        await two.Lease(GrainKeys.Of(tenant, "holder"), "eth0", new NetworkInterfaceRequest("10.43.0.9", null));
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m1"));

        var refused = await Assert.ThrowsAsync<CimiException>(() => machine.Create(
            new MachineCreate { MachineTemplate = TemplateAsync(tenant, [TemplateOn("one"), TemplateOn("two", "10.43.0.9")]).Result }, "create"));

        Assert.Equal(CimiErrorKind.Conflict, refused.Kind);
        Assert.Contains("Network 'networks/two'", refused.Message);
        Assert.Null(await machine.GetInternal());
        // The first interface's lease was given back with the refusal.
        Assert.Equal("10.42.0.2/24", await NextFreeAsync(one, tenant));
    }

    [Fact]
    public async Task Another_tenants_Network_is_404_and_bad_input_is_400_naming_the_problem()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var owner = GrainClusterFixture.NewTenant();
        var tenant = GrainClusterFixture.NewTenant();
        var theirs = await NetworkFixtures.CreatedAsync(fixture, owner, "private");
        var mine = await NetworkFixtures.CreatedAsync(fixture, tenant, "n1");
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));

        var notFound = await Assert.ThrowsAsync<CimiException>(() => machine.AttachNetworkInterface(On("private"), "a1"));
        Assert.Equal(CimiErrorKind.NotFound, notFound.Kind);
        Assert.Contains("networks/private", notFound.Message);
        var other = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m2"));
        var inCreate = await Assert.ThrowsAsync<CimiException>(async () =>
            await other.Create(new MachineCreate { MachineTemplate = await TemplateAsync(tenant, [TemplateOn("private")]) }, "c2"));
        Assert.Equal(CimiErrorKind.NotFound, inCreate.Kind);
        Assert.Null(await other.GetInternal());
        Assert.Equal("10.42.0.2/24", await NextFreeAsync(theirs, owner));

        foreach (var (bad, says) in new (MachineNetworkInterface, string)[]
        {
            (new MachineNetworkInterface(), "needs 'network'"),
            (new MachineNetworkInterface { Network = new ResourceRef("volumes/n1") }, "must reference a Network"),
            (On("n1", ip: "10.42.0.300"), "not an IPv4 address"),
            (On("n1", ip: "10.99.0.5"), "10.99.0.5"),
            (On("n1", state: "DISABLED"), "'state'"),
            (On("n1", mtu: 9000), "mtu of 9000"),
            (On("n1") with { MacAddress = "52:54:00:00:00:01" }, "'macAddress'"),
        })
        {
            var refused = await Assert.ThrowsAsync<CimiException>(() => machine.AttachNetworkInterface(bad, "bad"));
            Assert.True(refused.Kind == CimiErrorKind.Invalid, $"{bad} gave {refused.Kind}: {refused.Message}");
            Assert.Contains(says, refused.Message);
        }
        Assert.Empty(await machine.GetNetworkInterfaces());
        Assert.Equal("10.42.0.2/24", await NextFreeAsync(mine, tenant));
    }

    /// <summary>Specs hold lists, which records compare by reference.</summary>
    private sealed class InterfaceSpecComparer : IEqualityComparer<NetworkInterfaceSpec>
    {
        public static readonly InterfaceSpecComparer Instance = new();

        public bool Equals(NetworkInterfaceSpec? x, NetworkInterfaceSpec? y) => x is not null && y is not null && Key(x) == Key(y);

        public int GetHashCode(NetworkInterfaceSpec obj) => Key(obj).GetHashCode(StringComparison.Ordinal);

        private static string Key(NetworkInterfaceSpec s) =>
            $"{s with { Addresses = [], Dns = [] }}|{string.Join(",", s.Addresses)}|{string.Join(",", s.Dns)}";
    }
}
