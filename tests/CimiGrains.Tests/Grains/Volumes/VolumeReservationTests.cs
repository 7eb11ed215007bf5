using CimiGrains.Hosts;
using CimiGrains.Machines;
using CimiGrains.Volumes;

namespace CimiGrains.Tests.Grains.Volumes;

/// <summary>
/// <see cref="IVolumeGrain.Reserve"/>, <see cref="IVolumeGrain.Confirm"/> and <see cref="IVolumeGrain.Release"/>:
/// docs/VOLUMES.md's sharing rules, the answer a Machine's host needs, and where the Volume shows it is attached.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class VolumeReservationTests(GrainClusterFixture fixture)
{
    private const long GiB = 1024 * 1024;

    private static VolumeUse Container(string? hostId, bool readOnly = false) => new("docker", hostId, "/data", readOnly);

    private static VolumeUse Vm(string? hostId, bool readOnly = false) => new("qemu", hostId, null, readOnly);

    private static async Task<CimiException> Refused(Func<Task> call)
    {
        var refused = await Assert.ThrowsAsync<CimiException>(call);
        Assert.Equal(CimiErrorKind.Conflict, refused.Kind);
        return refused;
    }

    [Fact]
    public async Task A_reservation_answers_what_the_host_needs_shows_in_attachedTo_and_repeats_the_same_answer()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var machine = GrainKeys.Of(tenant, "m1");

        // A Machine not placed yet learns the host the Volume pins it to.
        var answer = await volume.Reserve(machine, Container(null));

        Assert.Equal(new VolumeAttachment(GrainKeys.Of(tenant, "v1"), "/data", false, "ext4", GiB, host.HostId), answer);
        Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
        Assert.Equal(answer, await volume.Reserve(machine, Container(host.HostId, readOnly: true)));

        await volume.Confirm(machine);
        await volume.Confirm(machine);
        await volume.Release(machine);
        await volume.Release(machine);
        Assert.Null((await volume.Get()).AttachedTo);
        await Refused(() => volume.Confirm(machine));
    }

    [Fact]
    public async Task Containers_on_the_volumes_host_share_an_ext4_volume_read_write()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);

        await volume.Reserve(GrainKeys.Of(tenant, "m1"), Container(host.HostId));
        await volume.Reserve(GrainKeys.Of(tenant, "m2"), Container(host.HostId));

        Assert.Equal(["machines/m1", "machines/m2"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("qcow2")]
    public async Task A_container_cannot_attach_a_block_volume_and_is_told_the_format(string format)
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB, format);

        var refused = await Refused(() => volume.Reserve(GrainKeys.Of(tenant, "m1"), Container(host.HostId)));

        Assert.Contains($"format '{format}'", refused.Message);
        Assert.Null((await volume.Get()).AttachedTo);
        // A VM takes it.
        Assert.Equal(format, (await volume.Reserve(GrainKeys.Of(tenant, "m2"), Vm(host.HostId))).Format);
    }

    [Fact]
    public async Task A_machine_on_another_host_is_refused_naming_both_hosts()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);

        var container = await Refused(() => volume.Reserve(GrainKeys.Of(tenant, "m1"), Container("elsewhere")));
        // This host exports nothing (its agent registered no NBD host): a VM elsewhere is refused too.
        var vm = await Refused(() => volume.Reserve(GrainKeys.Of(tenant, "m2"), Vm("elsewhere")));

        Assert.Contains($"host '{host.HostId}'", container.Message);
        Assert.Contains("host 'elsewhere'", container.Message);
        Assert.Contains("a container attaches only Volumes on its own host", container.Message);
        Assert.Contains("exports no Volumes over NBD (its agent sets no CIMI_AGENT_NBD_HOST)", vm.Message);
        Assert.Null((await volume.Get()).AttachedTo);
    }

    [Fact]
    public async Task A_vm_on_another_host_gets_an_nbd_export_with_a_key_of_its_own_and_release_withdraws_it()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB, nbdHost: "10.251.0.11");
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (m1, m2) = (GrainKeys.Of(tenant, "m1"), GrainKeys.Of(tenant, "m2"));

        var first = await volume.Reserve(m1, Vm("elsewhere", readOnly: true));
        var again = await volume.Reserve(m1, Vm("elsewhere", readOnly: true));
        var second = await volume.Reserve(m2, Vm("third", readOnly: true));

        Assert.Equal(first, again);
        Assert.Equal((host.HostId, GrainKeys.Of(tenant, "v1")), (first.HostId, first.NbdExport));
        Assert.Matches(@"^10\.251\.0\.11:108\d\d$", first.NbdAddress);
        Assert.Equal(first.NbdAddress, second.NbdAddress);
        Assert.Matches("^[0-9a-f]{64}$", first.NbdPsk);
        Assert.NotEqual((first.NbdIdentity, first.NbdPsk), (second.NbdIdentity, second.NbdPsk));
        var export = Assert.Single(await Eventually.Until(() => Task.FromResult(host.Exports.LastOrDefault() ?? []), e => e.Count == 1 && e[0].Clients.Count == 2,
            "the host to be told to export the Volume to both Machines"));
        Assert.False(export.Writable);
        Assert.Equal(int.Parse(first.NbdAddress!.Split(':')[1]), export.Port);

        await volume.Release(m1);
        var left = Assert.Single(await Eventually.Until(() => Task.FromResult(host.Exports.LastOrDefault() ?? []), e => e.Count == 1 && e[0].Clients.Count == 1,
            "the released Machine's key to be withdrawn"));
        Assert.Equal(second.NbdIdentity, Assert.Single(left.Clients).Identity);
        await volume.Release(m2);
        await Eventually.Until(() => Task.FromResult(host.Exports.LastOrDefault() ?? []), e => e.Count == 0, "the export to stop");
    }

    [Fact]
    public async Task A_vm_reserved_before_it_had_a_host_gets_an_nbd_export_of_its_own_once_placed_on_another_host()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB, nbdHost: "10.251.0.12");
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (m1, m2) = (GrainKeys.Of(tenant, "m1"), GrainKeys.Of(tenant, "m2"));

        // A template's Volume: reserved while the Machine has no host, so the answer is the local one.
        var unplaced = await volume.Reserve(m1, Vm(null));
        Assert.Null(unplaced.NbdAddress);
        // Reserving again without a host, or on the Volume's own host, changes nothing.
        Assert.Equal(unplaced, await volume.Reserve(m1, Vm(null)));
        Assert.Equal(unplaced, await volume.Reserve(m1, Vm(host.HostId)));

        var placed = await volume.Reserve(m1, Vm("elsewhere"));

        Assert.Matches(@"^10\.251\.0\.12:108\d\d$", placed.NbdAddress);
        Assert.Matches("^[0-9a-f]{64}$", placed.NbdPsk);
        Assert.Equal(placed, await volume.Reserve(m1, Vm("elsewhere")));
        Assert.Equal(placed, await volume.Reserve(m1, Vm("a-third-host")));
        var export = Assert.Single(await Eventually.Until(() => Task.FromResult(host.Exports.LastOrDefault() ?? []), e => e.Count == 1,
            "the host to be told to export the Volume to the placed Machine"));
        Assert.Equal(placed.NbdIdentity, Assert.Single(export.Clients).Identity);
        // Still one reservation, and still exclusive.
        Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
        await Refused(() => volume.Reserve(m2, Vm(host.HostId, readOnly: true)));

        await volume.Release(m1);
        await Eventually.Until(() => Task.FromResult(host.Exports.LastOrDefault() ?? []), e => e.Count == 0, "the export to stop");
    }

    [Fact]
    public async Task A_vm_reserved_before_it_had_a_host_and_placed_away_from_a_host_that_exports_nothing_is_refused()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var m1 = GrainKeys.Of(tenant, "m1");
        await volume.Reserve(m1, Vm(null));

        var refused = await Refused(() => volume.Reserve(m1, Vm("elsewhere")));

        Assert.Contains("exports no Volumes over NBD", refused.Message);
        // The reservation is as it was: the Machine still holds it until it gives it up.
        Assert.Null((await volume.Reserve(m1, Vm(null))).NbdAddress);
    }

    [Fact]
    public async Task A_vm_attachment_is_exclusive_unless_every_attachment_is_read_only()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (c1, vm1, vm2) = (GrainKeys.Of(tenant, "c1"), GrainKeys.Of(tenant, "vm1"), GrainKeys.Of(tenant, "vm2"));

        await volume.Reserve(c1, Container(host.HostId));
        var refused = await Refused(() => volume.Reserve(vm1, Vm(host.HostId)));
        Assert.Contains("'machines/c1' (docker, read-write)", refused.Message);
        Assert.Contains("exclusive unless every attachment of the Volume is read-only", refused.Message);
        // Read-only beside a read-write container is still not all read-only.
        await Refused(() => volume.Reserve(vm1, Vm(host.HostId, readOnly: true)));
        await volume.Release(c1);

        await volume.Reserve(vm1, Vm(host.HostId));
        await Refused(() => volume.Reserve(c1, Container(host.HostId)));
        await Refused(() => volume.Reserve(vm2, Vm(host.HostId, readOnly: true)));
        await volume.Release(vm1);

        await volume.Reserve(vm1, Vm(host.HostId, readOnly: true));
        await volume.Reserve(vm2, Vm(host.HostId, readOnly: true));
        await volume.Reserve(c1, Container(host.HostId, readOnly: true));
        Assert.Equal(3, (await volume.Get()).AttachedTo!.Count);
    }

    [Fact]
    public async Task A_volume_that_is_not_AVAILABLE_cannot_be_reserved()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = fixture.Grains.GetGrain<IVolumeGrain>(GrainKeys.Of(tenant, "v1"));
        await volume.Create(new VolumeCreate { VolumeTemplate = new VolumeTemplate { VolumeConfig = new VolumeConfiguration { Capacity = GiB } } }, "j1");
        await host.NextAsync();

        var refused = await Refused(() => volume.Reserve(GrainKeys.Of(tenant, "m1"), Container(host.HostId)));

        Assert.Contains("is CREATING, not AVAILABLE", refused.Message);
    }

    [Fact]
    public async Task Another_tenants_machine_finds_no_volume()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);

        var refused = await Assert.ThrowsAsync<CimiException>(() => volume.Reserve(GrainKeys.Of(GrainClusterFixture.NewTenant(), "m1"), Container(host.HostId)));

        Assert.Equal(CimiErrorKind.NotFound, refused.Kind);
        Assert.Null((await volume.Get()).AttachedTo);
    }

    [Fact]
    public async Task Reservations_survive_a_new_activation()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        await volume.Reserve(GrainKeys.Of(tenant, "m1"), Container(host.HostId));
        await volume.Confirm(GrainKeys.Of(tenant, "m1"));

        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
        await Assert.ThrowsAsync<CimiException>(() => volume.Delete("jd"));
    }

    /// <summary>Runs <paramref name="test"/> with the cluster's clock past the reservation timeout (10 minutes by
    /// default), then puts it back: the clock is the whole cluster's, and later tests see the real time again.</summary>
    private static async Task PastTheTimeoutAsync(Func<Task> test)
    {
        var by = new CimiGrains.Grains.Volumes.VolumeOptions().ReservationTimeout + TimeSpan.FromMinutes(1);
        TestClock.Instance.Advance(by);
        try
        {
            await test();
        }
        finally
        {
            TestClock.Instance.Advance(-by);
        }
    }

    [Fact]
    public async Task An_unconfirmed_reservation_of_a_machine_that_never_stored_it_expires_and_stops_keeping_others_out()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        // A create that died after reserving: no Machine "gone" was ever stored, and nothing will confirm or release.
        await volume.Reserve(GrainKeys.Of(tenant, "gone"), Vm(host.HostId));
        // Within the timeout it counts: a VM's attachment is exclusive, and the Volume cannot be deleted.
        Assert.Contains("machines/gone", (await Refused(() => volume.Reserve(GrainKeys.Of(tenant, "m2"), Vm(host.HostId)))).Message);
        Assert.Contains("machines/gone", (await Refused(() => volume.Delete("early"))).Message);

        await PastTheTimeoutAsync(async () =>
        {
            // Past it, the Volume asks the Machine, which holds nothing: the reservation goes and m2 gets the Volume.
            var answer = await volume.Reserve(GrainKeys.Of(tenant, "m2"), Vm(host.HostId));
            Assert.Equal(host.HostId, answer.HostId);
            Assert.Equal(["machines/m2"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
        });
    }

    [Fact]
    public async Task An_expired_reservation_is_dropped_by_the_next_activation_without_a_request_that_needs_the_volume()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        await volume.Reserve(GrainKeys.Of(tenant, "gone"), Container(host.HostId));

        await PastTheTimeoutAsync(async () =>
        {
            // A new activation (a silo restart, or idle collection) checks at once what is due, from a timer.
            await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
            await Eventually.Until(() => volume.Get(), v => v.AttachedTo is null, "the expired reservation to be dropped");
            Assert.Contains("delete", (await volume.Get()).Operations!.Select(o => o.Rel));
        });
    }

    [Fact]
    public async Task An_unconfirmed_reservation_its_machine_holds_is_kept_past_the_timeout()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        // A Machine that was never placed on a host (no host runs docker here): the Volume is attached to it,
        // and confirmed only when a create of the Machine succeeds, which may be long from now.
        var config = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));
        await config.Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m1"));
        await machine.Create(new MachineCreate
        {
            Name = "m1",
            MachineTemplate = new MachineTemplate
            {
                MachineConfig = new MachineConfiguration { Href = "machineConfigs/c" },
                MachineImage = new MachineImage { ImageLocation = "docker:cimigrains/demo:latest" },
            },
        }, "create");
        await Eventually.Until(() => machine.Get(), m => m.State == MachineStateName.ERROR, "the create to fail for want of a host");
        var attached = await machine.AttachVolume(new MachineVolume { Volume = new ResourceRef("volumes/v1"), InitialLocation = "/data" }, "attach");
        Assert.Equal("attached", attached.MachineVolume.Properties![MachineVolumes.StatusProperty]);
        // Beside it, one nothing holds.
        await volume.Reserve(GrainKeys.Of(tenant, "gone"), Container(host.HostId));

        await PastTheTimeoutAsync(async () =>
        {
            // The delete drops the one nothing holds and still refuses for the Machine's, naming it.
            var refused = await Refused(() => volume.Delete("delete"));
            Assert.Contains("machines/m1", refused.Message);
            Assert.DoesNotContain("machines/gone", refused.Message);
            Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
        });
    }
}
