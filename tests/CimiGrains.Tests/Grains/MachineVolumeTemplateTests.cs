using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Machines;
using CimiGrains.Tests.Grains.Volumes;
using CimiGrains.Volumes;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// A MachineCreate whose template has <c>volumeTemplates</c>: the new Volumes are created first (their placement
/// chooses the host), the Machine waits until they are AVAILABLE, reserves them and carries them in its create;
/// a bad volume template is a 400 before anything is stored; a failed Volume fails the Machine's create.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class MachineVolumeTemplateTests(GrainClusterFixture fixture)
{
    private const long GiB = 1024 * 1024;

    /// <summary>A host that runs docker Machines and holds Volumes; disconnected at disposal so later tests never place on it.</summary>
    private sealed class DockerHost(GrainClusterFixture fixture) : IAsyncDisposable
    {
        private string? _session;
        private IAgentObserver? _reference;

        public FakeHost Host { get; } = new("t" + Guid.NewGuid().ToString("N")[..10]);

        public async Task<DockerHost> ConnectAsync()
        {
            _reference = fixture.Cluster.Client.CreateObjectReference<IAgentObserver>(Host);
            _session = Guid.NewGuid().ToString("N");
            await fixture.Grains.GetGrain<IHostGrain>(Host.HostId).Connect(
                new HostRegistration(Host.HostId, 4, 4_000_000, 40_000_000, ["docker"], new Dictionary<string, string>(), "test", VolumePoolKiB: 10 * GiB),
                _session, _reference);
            return this;
        }

        public async ValueTask DisposeAsync()
        {
            if (_session is null) return;
            await fixture.Grains.GetGrain<IHostGrain>(Host.HostId).Disconnect(_session, "the test ended");
            fixture.Cluster.Client.DeleteObjectReference<IAgentObserver>(_reference!);
        }
    }

    private async Task<MachineTemplate> TemplateAsync(string tenant, params MachineTemplateVolumeTemplate[] volumeTemplates)
    {
        var config = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));
        if (await config.GetInternal() is null) await config.Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });
        return new MachineTemplate
        {
            MachineConfig = new MachineConfiguration { Href = "machineConfigs/c" },
            MachineImage = new MachineImage { ImageLocation = "docker:cimigrains/demo:latest" },
            VolumeTemplates = volumeTemplates,
        };
    }

    private static MachineTemplateVolumeTemplate ByValue(long capacityKiB, string at = "/data") => new()
    {
        VolumeConfig = new VolumeConfiguration { Capacity = capacityKiB }, InitialLocation = at,
    };

    private async Task<Job> FinishedAsync(string tenant, string jobId) =>
        await Eventually.Until(() => fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, jobId)).Get(),
            j => j.State is JobStateName.SUCCESS or JobStateName.FAILED, $"Job '{jobId}' to finish");

    [Fact]
    public async Task A_volume_template_by_value_creates_a_volume_first_and_the_machine_is_created_with_it_attached()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m1"));

        await machine.Create(new MachineCreate { Name = "m1", MachineTemplate = await TemplateAsync(tenant, ByValue(GiB)) }, "create-m1");

        // The Volume's create comes first, to the host its placement chose.
        var volumeCreate = await host.NextAsync();
        Assert.Equal(HostedKind.Volume, volumeCreate.Resource);
        Assert.Equal(HostCommandKind.Create, volumeCreate.Kind);
        Assert.Equal(GiB, volumeCreate.Volume!.CapacityKiB);
        var volumeLocalId = GrainKeys.Split(volumeCreate.ResourceKey).LocalId;
        var volume = fixture.Grains.GetGrain<IVolumeGrain>(volumeCreate.ResourceKey);
        Assert.Equal(VolumeStateName.CREATING, (await volume.Get()).State);
        // The Machine waits for it and is not yet created anywhere.
        Assert.Equal(MachineStateName.CREATING, (await machine.Get()).State);
        Assert.Empty(await machine.GetVolumes());
        // The Volume's Job is nested in the Machine's: listed there, and naming it as its parent.
        var nested = Assert.Single((await fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "create-m1")).Get()).NestedJobs ?? []);
        var volumeJob = await fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, ResourceKind.Job.LocalIdOf(nested.Href)!)).Get();
        Assert.Equal($"volumes/{volumeLocalId}", volumeJob.TargetResource!.Href);
        Assert.Equal("jobs/create-m1", volumeJob.ParentJob?.Href);

        await volume.OnHostReport(VolumePoolHosts.Answer(host, volumeCreate, succeeded: true));

        var create = await host.NextAsync();
        Assert.Equal(HostedKind.Machine, create.Resource);
        Assert.Equal(HostCommandKind.Create, create.Kind);
        var carried = Assert.Single(create.Spec!.Volumes!);
        Assert.Equal(new VolumeAttachment(volumeCreate.ResourceKey, "/data", false, "ext4", GiB, host.HostId), carried);
        await machine.OnHostReport(host.Answer(create, succeeded: true));

        var job = await FinishedAsync(tenant, "create-m1");
        Assert.Equal(JobStateName.SUCCESS, job.State);
        // Finished by the Machine, not by its nested Job's success (which came before the Machine existed on its host).
        Assert.DoesNotContain("nested Jobs succeeded", job.StatusMessage);
        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, volumeJob.Id!["jobs/".Length..])).State);
        Assert.Contains(job.AffectedResources!, r => r.Href == $"volumes/{volumeLocalId}");
        Assert.Equal(MachineStateName.STARTED, (await machine.Get()).State);
        var listed = Assert.Single(await machine.GetVolumes());
        Assert.Equal($"volumes/{volumeLocalId}", listed.Volume!.Href);
        Assert.Equal("/data", listed.InitialLocation);
        Assert.Equal("attached", listed.Properties![MachineVolumes.StatusProperty]);
        var created = await volume.Get();
        Assert.Equal(VolumeStateName.AVAILABLE, created.State);
        Assert.Equal(["machines/m1"], created.AttachedTo!.Select(r => r.Href));

        // Deleting the Machine leaves the Volume AVAILABLE and attached nowhere.
        await machine.Delete("delete-m1");
        var delete = await host.NextAsync();
        Assert.Equal(HostCommandKind.Delete, delete.Kind);
        await machine.OnHostReport(host.Answer(delete, succeeded: true));
        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "delete-m1")).State);
        var left = await volume.Get();
        Assert.Equal(VolumeStateName.AVAILABLE, left.State);
        Assert.Null(left.AttachedTo);
    }

    [Fact]
    public async Task A_volume_that_fails_to_be_created_fails_the_machines_create_naming_it()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m1"));

        await machine.Create(new MachineCreate { MachineTemplate = await TemplateAsync(tenant, ByValue(GiB)) }, "create-m1");
        var volumeCreate = await host.NextAsync();
        var volume = fixture.Grains.GetGrain<IVolumeGrain>(volumeCreate.ResourceKey);
        await volume.OnHostReport(VolumePoolHosts.Answer(host, volumeCreate, succeeded: false, "mkfs.ext4: No space left on device"));

        var job = await FinishedAsync(tenant, "create-m1");
        Assert.Equal(JobStateName.FAILED, job.State);
        Assert.Contains($"volumes/{GrainKeys.Split(volumeCreate.ResourceKey).LocalId}", job.StatusMessage);
        Assert.Contains("No space left on device", job.StatusMessage);
        Assert.Equal(MachineStateName.ERROR, (await machine.Get()).State);
        Assert.Empty(await machine.GetVolumes());
    }

    [Theory]
    [InlineData(0L, "/data", "capacity")]
    [InlineData(1024L, null, "initialLocation")]
    public async Task A_bad_volume_template_is_refused_naming_it_and_nothing_is_stored(long capacityKiB, string? at, string named)
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var tenant = GrainClusterFixture.NewTenant();
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m1"));
        var template = await TemplateAsync(tenant, ByValue(GiB, "/ok"), new MachineTemplateVolumeTemplate
        {
            VolumeConfig = new VolumeConfiguration { Capacity = capacityKiB }, InitialLocation = at,
        });

        var e = await Assert.ThrowsAsync<CimiException>(() => machine.Create(new MachineCreate { MachineTemplate = template }, "create-m1"));

        Assert.Equal(CimiErrorKind.Invalid, e.Kind);
        Assert.Contains("volumeTemplates[1]", e.Message);
        Assert.Contains(named, e.Message);
        Assert.Null(await machine.GetInternal());
        Assert.Null(await fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "create-m1")).GetInternal());
    }

    [Fact]
    public async Task A_stored_machine_template_refuses_a_volume_template_whose_reference_dangles()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var template = fixture.Grains.GetGrain<IMachineTemplateGrain>(GrainKeys.Of(tenant, "t"));
        var e = await Assert.ThrowsAsync<CimiException>(() => template.Create(new MachineTemplate
        {
            VolumeTemplates = [new MachineTemplateVolumeTemplate { Href = "volumeTemplates/none", InitialLocation = "/data" }],
        }));
        Assert.Equal(CimiErrorKind.Invalid, e.Kind);
        Assert.Contains("volumeTemplates[0]", e.Message);
        Assert.Contains("volumeTemplates/none", e.Message);
        Assert.Null(await template.GetInternal());
    }
}
