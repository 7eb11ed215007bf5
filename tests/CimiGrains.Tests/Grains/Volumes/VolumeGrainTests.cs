using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Volumes;

namespace CimiGrains.Tests.Grains.Volumes;

/// <summary>The Volume grain's create and delete over fake hosts with volume pools, and what it refuses.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class VolumeGrainTests(GrainClusterFixture fixture)
{
    private const long GiB = 1024 * 1024;

    /// <summary>Larger than any pool a test connects.</summary>
    private const long BeyondEveryPool = 1L << 50;

    private IVolumeGrain Volume(string tenant, string id) => fixture.Grains.GetGrain<IVolumeGrain>(GrainKeys.Of(tenant, id));

    private IJobGrain Job(string tenant, string id) => fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, id));

    private static VolumeCreate ByValue(long capacityKiB, string? format = null) => new()
    {
        Name = "data",
        VolumeTemplate = new VolumeTemplate { VolumeConfig = new VolumeConfiguration { Capacity = capacityKiB, Format = format } },
    };

    private static Task<Job> Finished(IJobGrain job, string what) =>
        Eventually.Until(() => job.Get(), j => j.State is JobStateName.SUCCESS or JobStateName.FAILED, what);

    [Fact]
    public async Task Create_is_sent_to_a_host_with_a_pool_and_the_hosts_report_makes_the_volume_AVAILABLE()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = Volume(tenant, "v1");

        var accepted = await volume.Create(ByValue(GiB), "j1");

        Assert.Equal(VolumeStateName.CREATING, accepted.Volume.State);
        Assert.Equal(GiB, accepted.Volume.Capacity);
        Assert.Equal("ext4", accepted.Volume.Format);
        var command = await host.NextAsync();
        Assert.Equal((HostedKind.Volume, HostCommandKind.Create), (command.Resource, command.Kind));
        Assert.Equal(GrainKeys.Of(tenant, "v1"), command.ResourceKey);
        Assert.Equal(new VolumeSpec(GiB, "ext4", tenant, null, false), command.Volume);
        Assert.Equal(host.HostId, (await volume.Get()).Host);

        await volume.OnHostReport(VolumePoolHosts.Answer(host, command, succeeded: true));

        Assert.Equal(JobStateName.SUCCESS, (await Finished(Job(tenant, "j1"), "the create Job to finish")).State);
        var available = await volume.Get();
        Assert.Equal(VolumeStateName.AVAILABLE, available.State);
        Assert.Contains(available.Operations!, o => o.Rel == "delete");
    }

    [Fact]
    public async Task A_host_failing_the_create_fails_the_job_with_its_message_and_leaves_the_volume_in_ERROR()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = Volume(tenant, "v1");
        await volume.Create(ByValue(GiB), "j1");
        var command = await host.NextAsync();

        await volume.OnHostReport(VolumePoolHosts.Answer(host, command, succeeded: false, message: "mkfs.ext4 failed: no space"));

        var job = await Finished(Job(tenant, "j1"), "the create Job to finish");
        Assert.Equal(JobStateName.FAILED, job.State);
        Assert.Contains("mkfs.ext4 failed", job.StatusMessage);
        Assert.Equal(VolumeStateName.ERROR, (await volume.Get()).State);
    }

    [Fact]
    public async Task Placement_chooses_a_pool_with_room_and_counts_what_it_placed_there()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var small = await hosts.ConnectAsync(GiB);
        var large = await hosts.ConnectAsync(3 * GiB);
        var tenant = GrainClusterFixture.NewTenant();

        // 2 GiB fits only the large pool.
        await Volume(tenant, "v1").Create(ByValue(2 * GiB), "j1");
        var first = await large.NextAsync();
        await Volume(tenant, "v1").OnHostReport(VolumePoolHosts.Answer(large, first, succeeded: true));
        Assert.Equal(large.HostId, (await Volume(tenant, "v1").Get()).Host);
        var placed = await fixture.Grains.GetGrain<IHostGrain>(large.HostId).GetInfo();
        Assert.Equal(2 * GiB, placed.Volumes![GrainKeys.Of(tenant, "v1")]);

        // The large pool has 1 GiB left, the small one 1 GiB: 1.5 GiB fits neither, and the Job says so with the sizes.
        await Volume(tenant, "v2").Create(ByValue(3 * GiB / 2), "j2");
        var failed = await Finished(Job(tenant, "j2"), "the second create to fail");
        Assert.Equal(JobStateName.FAILED, failed.State);
        Assert.Contains($"'{large.HostId}' has {GiB} of {3 * GiB} KiB free", failed.StatusMessage);
        Assert.Contains($"'{small.HostId}' has {GiB} of {GiB} KiB free", failed.StatusMessage);
        Assert.Equal(VolumeStateName.ERROR, (await Volume(tenant, "v2").Get()).State);
    }

    [Theory]
    [InlineData(0, null, "'capacity'")]
    [InlineData(-5, null, "'capacity'")]
    [InlineData(1024, "ntfs", "'format' must be one of ext4, raw, qcow2, not 'ntfs'")]
    [InlineData(BeyondEveryPool, null, "larger than any host's volume pool")]
    public async Task A_bad_configuration_is_refused_naming_the_attribute_and_stores_nothing(long capacity, string? format, string expected)
    {
        await using var hosts = new VolumePoolHosts(fixture);
        await hosts.ConnectAsync(GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = Volume(tenant, "bad");

        var refused = await Assert.ThrowsAsync<CimiException>(() => volume.Create(ByValue(capacity, format), "j1"));

        Assert.Equal(CimiErrorKind.Invalid, refused.Kind);
        Assert.Contains(expected, refused.Message);
        Assert.Equal(CimiErrorKind.NotFound, (await Assert.ThrowsAsync<CimiException>(() => volume.Get())).Kind);
        Assert.Equal(CimiErrorKind.NotFound, (await Assert.ThrowsAsync<CimiException>(() => Job(tenant, "j1").Get())).Kind);
    }

    [Theory]
    [InlineData("volumeConfigs/none", null, "'volumeConfig' references VolumeConfiguration 'volumeConfigs/none', which does not exist")]
    [InlineData(null, "volumeImages/none", "'volumeImage' references VolumeImage 'volumeImages/none', which does not exist")]
    public async Task A_dangling_reference_is_refused_naming_it_and_stores_nothing(string? configHref, string? imageHref, string expected)
    {
        var tenant = GrainClusterFixture.NewTenant();
        var volume = Volume(tenant, "bad");
        var create = new VolumeCreate
        {
            VolumeTemplate = new VolumeTemplate
            {
                VolumeConfig = configHref is null ? new VolumeConfiguration { Capacity = 1024 } : new VolumeConfiguration { Href = configHref },
                VolumeImage = imageHref is null ? null : new VolumeImage { Href = imageHref },
            },
        };

        var refused = await Assert.ThrowsAsync<CimiException>(() => volume.Create(create, "j1"));

        Assert.Equal(CimiErrorKind.NotFound, refused.Kind);
        Assert.Contains(expected, refused.Message);
        Assert.Equal(CimiErrorKind.NotFound, (await Assert.ThrowsAsync<CimiException>(() => volume.Get())).Kind);
    }

    [Fact]
    public async Task A_template_by_reference_with_overrides_takes_the_overriding_capacity_and_the_referenced_format()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        await fixture.Grains.GetGrain<IVolumeConfigurationGrain>(GrainKeys.Of(tenant, "c"))
            .Create(new VolumeConfiguration { Capacity = GiB, Format = "qcow2" });
        await fixture.Grains.GetGrain<IVolumeTemplateGrain>(GrainKeys.Of(tenant, "t"))
            .Create(new VolumeTemplate { VolumeConfig = new VolumeConfiguration { Href = "volumeConfigs/c" } });

        var accepted = await Volume(tenant, "v1").Create(new VolumeCreate
        {
            VolumeTemplate = new VolumeTemplate { Href = "volumeTemplates/t", VolumeConfig = new VolumeConfiguration { Href = "volumeConfigs/c", Capacity = 2 * GiB } },
        }, "j1");

        Assert.Equal((2 * GiB, "qcow2"), (accepted.Volume.Capacity, accepted.Volume.Format));
        Assert.Equal(new VolumeSpec(2 * GiB, "qcow2", tenant, null, false), (await host.NextAsync()).Volume);
    }

    [Fact]
    public async Task A_create_nested_in_a_job_and_repeated_with_its_job_gets_the_first_answer()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        await Job(tenant, "parent").Begin("add", new ResourceRef("machines/m1"), null, "Creating the Machine.", nestedFailure: NestedJobFailure.Owner);
        var create = new VolumeCreate { VolumeTemplate = new VolumeTemplate { VolumeConfig = new VolumeConfiguration { Capacity = GiB } } };

        var first = await Volume(tenant, "v1").Create(create, "j1", parentJobLocalId: "parent");
        Assert.Equal(HostCommandKind.Create, (await host.NextAsync()).Kind);
        // The caller (a Machine's create resumed after a crash) asks again: the same answer, nothing nested twice.
        var again = await Volume(tenant, "v1").Create(create, "j1", parentJobLocalId: "parent");

        Assert.Equal((first.Volume.Id, first.Job.Id), (again.Volume.Id, again.Job.Id));
        Assert.Equal("jobs/parent", (await Job(tenant, "j1").Get()).ParentJob?.Href);
        Assert.Equal(["jobs/j1"], ((await Job(tenant, "parent").Get()).NestedJobs ?? []).Select(r => r.Href));
        // Another create of the same Volume is still refused.
        Assert.Equal(CimiErrorKind.Conflict, (await Assert.ThrowsAsync<CimiException>(() => Volume(tenant, "v1").Create(create, "j2"))).Kind);
        await Job(tenant, "parent").Finish(true, "The test ended.");
    }

    [Fact]
    public async Task Delete_sends_the_host_a_delete_and_the_volume_is_gone_when_it_answers()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);

        var deleting = await volume.Delete("jd");

        Assert.Equal(VolumeStateName.DELETING, deleting.Volume.State);
        var command = await host.NextAsync();
        Assert.Equal((HostedKind.Volume, HostCommandKind.Delete), (command.Resource, command.Kind));
        await volume.OnHostReport(VolumePoolHosts.Answer(host, command, succeeded: true) with { State = ObservedState.Absent });
        Assert.Equal(JobStateName.SUCCESS, (await Finished(Job(tenant, "jd"), "the delete Job to finish")).State);
        Assert.Equal(CimiErrorKind.NotFound, (await Assert.ThrowsAsync<CimiException>(() => volume.Get())).Kind);
        Assert.False((await fixture.Grains.GetGrain<IHostGrain>(host.HostId).GetInfo()).Volumes!.ContainsKey(GrainKeys.Of(tenant, "v1")));
    }

    [Fact]
    public async Task Delete_while_attached_is_refused_naming_the_machines()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        await volume.Reserve(GrainKeys.Of(tenant, "m1"), new VolumeUse("docker", host.HostId, "/data", false));
        await volume.Reserve(GrainKeys.Of(tenant, "m2"), new VolumeUse("docker", null, "/data", false));

        var refused = await Assert.ThrowsAsync<CimiException>(() => volume.Delete("jd"));

        Assert.Equal(CimiErrorKind.Conflict, refused.Kind);
        Assert.Contains("'machines/m1', 'machines/m2'", refused.Message);
        Assert.Equal(VolumeStateName.AVAILABLE, (await volume.Get()).State);

        await volume.Release(GrainKeys.Of(tenant, "m1"));
        await volume.Release(GrainKeys.Of(tenant, "m2"));
        Assert.Equal(VolumeStateName.DELETING, (await volume.Delete("jd")).Volume.State);
    }

    [Fact]
    public async Task A_volume_deleted_while_its_host_is_away_is_gone_at_once_and_removed_when_the_host_returns()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        await hosts.DisconnectAsync(host);

        await volume.Delete("jd");

        var job = await Finished(Job(tenant, "jd"), "the delete Job to finish");
        Assert.Equal(JobStateName.SUCCESS, job.State);
        Assert.Contains("removed when the host's agent reconnects", job.StatusMessage);
        Assert.Equal(CimiErrorKind.NotFound, (await Assert.ThrowsAsync<CimiException>(() => volume.Get())).Kind);
        Assert.False((await fixture.Grains.GetGrain<IHostGrain>(host.HostId).GetInfo()).Volumes!.ContainsKey(GrainKeys.Of(tenant, "v1")));
        // The returning agent lists the file; the Volume grain tells it to remove it.
        Assert.Equal(HostAdoption.Remove, await volume.ReconcileWithHost(host.HostId, "s2", 1, ObservedState.Created));
    }

    [Fact]
    public async Task A_host_that_goes_away_puts_its_volumes_in_ERROR_until_it_lists_them_again()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);

        await hosts.DisconnectAsync(host);
        var away = await Eventually.Until(() => volume.Get(), v => v.State == VolumeStateName.ERROR, "the Volume to show its host is away");
        Assert.Contains("unreachable", away.Properties!["cimigrains.hostStatus"]);

        Assert.Equal(HostAdoption.Keep, await volume.ReconcileWithHost(host.HostId, "s2", 1, ObservedState.Created));
        Assert.Equal(VolumeStateName.AVAILABLE, (await volume.Get()).State);
    }
}
