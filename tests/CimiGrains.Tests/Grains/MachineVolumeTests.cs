using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Machines;
using CimiGrains.Tests.Grains.Volumes;
using CimiGrains.Volumes;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// Attaching and detaching Volumes as Machine operations (docs/VOLUMES.md "Attaching"), against a fake host
/// that runs containers and has a volume pool: what the host is sent, what the Volume is told, and what a
/// failure, a delete or a busy Machine does.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class MachineVolumeTests(GrainClusterFixture fixture)
{
    private const long GiB = 1024 * 1024;

    /// <summary>A host that runs docker Machines and holds Volumes; disconnected at disposal so later tests never place on it.</summary>
    private sealed class DockerHost(GrainClusterFixture fixture) : IAsyncDisposable
    {
        private string? _session;
        private IAgentObserver? _reference;

        public FakeHost Host { get; } = new("d" + Guid.NewGuid().ToString("N")[..10]);

        /// <summary>The current session (a new one at every <see cref="ConnectAsync"/>).</summary>
        public string Session => _session!;

        /// <summary>The session ends, as when the agent is killed.</summary>
        public Task DropAsync() => fixture.Grains.GetGrain<IHostGrain>(Host.HostId).Disconnect(_session!, "the agent was killed");

        public async Task<DockerHost> ConnectAsync()
        {
            _reference ??= fixture.Cluster.Client.CreateObjectReference<IAgentObserver>(Host);
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

    private async Task<MachineTemplate> TemplateAsync(string tenant, IReadOnlyList<MachineTemplateVolume>? volumes = null)
    {
        var config = fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"));
        if (await config.GetInternal() is null) await config.Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });
        return new MachineTemplate
        {
            MachineConfig = new MachineConfiguration { Href = "machineConfigs/c" },
            MachineImage = new MachineImage { ImageLocation = "docker:cimigrains/demo:latest" },
            Volumes = volumes,
        };
    }

    private async Task<Job> FinishedAsync(string tenant, string jobId) =>
        await Eventually.Until(() => fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, jobId)).Get(),
            j => j.State is JobStateName.SUCCESS or JobStateName.FAILED, $"Job '{jobId}' to finish");

    /// <summary>A STARTED Machine on <paramref name="host"/>; its create command is answered and returned.</summary>
    private async Task<(IMachineGrain Machine, HostCommand Create)> RunningAsync(FakeHost host, string tenant, string id, MachineTemplate template)
    {
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, id));
        await machine.Create(new MachineCreate { Name = id, MachineTemplate = template }, "create-" + id);
        var create = await host.NextAsync();
        Assert.Equal(HostCommandKind.Create, create.Kind);
        await machine.OnHostReport(host.Answer(create, succeeded: true));
        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "create-" + id)).State);
        Assert.Equal(MachineStateName.STARTED, (await machine.Get()).State);
        return (machine, create);
    }

    private static MachineVolume Attach(string volumeLocalId, string? at = "/data", bool readOnly = false) => new()
    {
        Volume = new ResourceRef($"volumes/{volumeLocalId}"), InitialLocation = at,
        Properties = readOnly ? new Dictionary<string, string> { [MachineVolumes.ReadOnlyProperty] = "true" } : null,
    };

    [Fact]
    public async Task Attach_sends_AttachVolume_with_the_reservation_and_on_success_the_volume_lists_the_machine()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));

        var accepted = await machine.AttachVolume(Attach("v1", readOnly: true), "attach");

        Assert.Equal("machines/m1/volumes/v1", accepted.MachineVolume.Id);
        Assert.Equal("attaching", accepted.MachineVolume.Properties![MachineVolumes.StatusProperty]);
        var command = await host.NextAsync();
        Assert.Equal(HostCommandKind.AttachVolume, command.Kind);
        Assert.Equal(new VolumeAttachment(GrainKeys.Of(tenant, "v1"), "/data", true, "ext4", GiB, host.HostId), command.Attachment);
        Assert.Equal([command.Attachment!], command.Spec!.Volumes);
        // Reserved, not yet confirmed: the Volume already shows where it is going.
        Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));

        await machine.OnHostReport(host.Answer(command, succeeded: true));

        var job = await FinishedAsync(tenant, "attach");
        Assert.Equal(JobStateName.SUCCESS, job.State);
        Assert.Contains(job.AffectedResources!, r => r.Href == "volumes/v1");
        var attached = Assert.Single(await machine.GetVolumes());
        Assert.Equal("attached", attached.Properties![MachineVolumes.StatusProperty]);
        Assert.Equal("true", attached.Properties[MachineVolumes.ReadOnlyProperty]);
        Assert.Equal("volumes/v1", attached.Volume!.Href);
        Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
        Assert.Equal(MachineStateName.STARTED, (await machine.Get()).State);

        // Every later command's spec carries it, so a re-create keeps it.
        await machine.Act(MachineAction.Stop, force: false, "stop");
        var stop = await host.NextAsync();
        Assert.Equal([command.Attachment!], stop.Spec!.Volumes);
    }

    [Fact]
    public async Task An_attach_the_host_refuses_is_released_and_its_job_says_why()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));

        await machine.AttachVolume(Attach("v1"), "attach");
        var command = await host.NextAsync();
        await machine.OnHostReport(host.Answer(command, succeeded: false, "mount: /data: permission denied"));

        var job = await FinishedAsync(tenant, "attach");
        Assert.Equal(JobStateName.FAILED, job.State);
        Assert.Contains("permission denied", job.StatusMessage);
        Assert.Empty(await machine.GetVolumes());
        Assert.Null((await volume.Get()).AttachedTo);
        // The Machine's own state is not the attach's to change.
        Assert.Equal(MachineStateName.STARTED, (await machine.Get()).State);
    }

    [Fact]
    public async Task Detach_sends_DetachVolume_and_then_releases_the_volume()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));
        await machine.AttachVolume(Attach("v1"), "attach");
        var attach = await host.NextAsync();
        await machine.OnHostReport(host.Answer(attach, succeeded: true));
        await FinishedAsync(tenant, "attach");

        var accepted = await machine.DetachVolume("v1", "detach");

        Assert.Equal("detaching", accepted.MachineVolume.Properties![MachineVolumes.StatusProperty]);
        var command = await host.NextAsync();
        Assert.Equal(HostCommandKind.DetachVolume, command.Kind);
        Assert.Equal(attach.Attachment, command.Attachment);
        Assert.Null(command.Spec!.Volumes);
        Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
        await machine.OnHostReport(host.Answer(command, succeeded: true));

        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "detach")).State);
        Assert.Empty(await machine.GetVolumes());
        Assert.Null((await volume.Get()).AttachedTo);
        var missing = await Assert.ThrowsAsync<CimiException>(() => machine.DetachVolume("v1", "again"));
        Assert.Equal(CimiErrorKind.NotFound, missing.Kind);
    }

    [Fact]
    public async Task Deleting_the_machine_releases_its_volumes_which_stay_available()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));
        await machine.AttachVolume(Attach("v1"), "attach");
        await machine.OnHostReport(host.Answer(await host.NextAsync(), succeeded: true));
        await FinishedAsync(tenant, "attach");

        await machine.Delete("delete");
        var delete = await host.NextAsync();
        Assert.Equal(HostCommandKind.Delete, delete.Kind);
        // Until the host removed the workload, the Volume is still in use.
        Assert.NotNull((await volume.Get()).AttachedTo);
        await machine.OnHostReport(host.Answer(delete, succeeded: true));

        Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "delete")).State);
        var left = await Eventually.Until(() => volume.Get(), v => v.AttachedTo is null, "the deleted Machine to release its Volume");
        Assert.Equal(VolumeStateName.AVAILABLE, left.State);
    }

    [Fact]
    public async Task Attach_during_a_transitional_state_is_refused_with_409_and_reserves_nothing()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));
        await machine.Act(MachineAction.Stop, force: false, "stop");

        var refused = await Assert.ThrowsAsync<CimiException>(() => machine.AttachVolume(Attach("v1"), "attach"));

        Assert.Equal(CimiErrorKind.Conflict, refused.Kind);
        Assert.Contains("STOPPING", refused.Message);
        Assert.Null((await volume.Get()).AttachedTo);
        Assert.Empty(await machine.GetVolumes());
    }

    [Fact]
    public async Task A_template_volume_is_reserved_at_create_and_the_create_command_carries_it()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var template = await TemplateAsync(tenant, [new MachineTemplateVolume { Href = "volumes/v1", InitialLocation = "/srv/data" }]);

        var (machine, create) = await RunningAsync(host, tenant, "m1", template);

        var carried = Assert.Single(create.Spec!.Volumes!);
        Assert.Equal(new VolumeAttachment(GrainKeys.Of(tenant, "v1"), "/srv/data", false, "ext4", GiB, host.HostId), carried);
        Assert.Equal("attached", Assert.Single(await machine.GetVolumes()).Properties![MachineVolumes.StatusProperty]);
        Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
    }

    [Fact]
    public async Task Another_tenants_volume_is_not_found_in_an_attach_and_dangling_in_a_template()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var owner = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, owner, "v1", GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));

        var attach = await Assert.ThrowsAsync<CimiException>(() => machine.AttachVolume(Attach("v1"), "attach"));
        Assert.Equal(CimiErrorKind.NotFound, attach.Kind);

        var other = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m2"));
        var template = await TemplateAsync(tenant, [new MachineTemplateVolume { Href = "volumes/v1", InitialLocation = "/data" }]);
        var create = await Assert.ThrowsAsync<CimiException>(() => other.Create(new MachineCreate { MachineTemplate = template }, "create-m2"));
        Assert.Equal(CimiErrorKind.NotFound, create.Kind);
        Assert.Contains("does not exist", create.Message);

        Assert.Equal(CimiErrorKind.NotFound, (await Assert.ThrowsAsync<CimiException>(() => other.Get())).Kind);
        Assert.Null((await volume.Get()).AttachedTo);
        Assert.Empty(await machine.GetVolumes());
    }

    [Theory]
    [InlineData(null, "/data", "needs 'volume'")]
    [InlineData("machines/m1", "/data", "must reference a Volume")]
    [InlineData("volumes/v1", "data", "not an absolute path")]
    [InlineData("volumes/v1", "/data/../etc", "not a normalized path")]
    [InlineData("volumes/v1", "/data;rm", "may hold only")]
    [InlineData("volumes/v1", "/proc/x", "not a place a container")]
    [InlineData("volumes/v1", null, "needs 'initialLocation'")]
    public async Task Bad_attach_input_is_a_400_that_names_the_problem_and_reserves_nothing(string? href, string? at, string problem)
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));

        var refused = await Assert.ThrowsAsync<CimiException>(() => machine.AttachVolume(new MachineVolume
        {
            Volume = href is null ? null : new ResourceRef(href), InitialLocation = at,
        }, "attach"));

        Assert.Equal(CimiErrorKind.Invalid, refused.Kind);
        Assert.Contains(problem, refused.Message);
        Assert.Null((await volume.Get()).AttachedTo);
        Assert.Empty(await machine.GetVolumes());
    }

    [Fact]
    public async Task An_attach_its_host_never_answered_is_detached_there_once_the_host_is_back_before_the_volume_is_released()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (machine, create) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));
        await machine.AttachVolume(Attach("v1"), "attach");
        var attach = await host.NextAsync();

        // The agent dies with the command and without answering (it may have attached the Volume: it records first).
        await docker.DropAsync();
        var failed = await FinishedAsync(tenant, "attach");
        Assert.Equal(JobStateName.FAILED, failed.State);
        Assert.Contains("went away", failed.StatusMessage);
        // Not released yet: the host may hold it, so no other Machine may have it.
        Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
        Assert.Equal("detaching", Assert.Single(await machine.GetVolumes()).Properties![MachineVolumes.StatusProperty]);

        // Back: the host is told to detach it, and only its answer releases the Volume.
        await docker.ConnectAsync();
        await fixture.Grains.GetGrain<IHostedMachineGrain>(GrainKeys.Of(tenant, "m1")).ReconcileWithHost(host.HostId, docker.Session, create.Generation, ObservedState.Running);
        var undo = await host.NextAsync();
        Assert.Equal(HostCommandKind.DetachVolume, undo.Kind);
        Assert.Equal(attach.Attachment, undo.Attachment);
        Assert.Equal(["machines/m1"], (await volume.Get()).AttachedTo!.Select(r => r.Href));
        await machine.OnHostReport(host.Answer(undo, succeeded: true));

        await Eventually.Until(() => volume.Get(), v => v.AttachedTo is null, "the Volume to be released");
        Assert.Empty(await machine.GetVolumes());
        Assert.Equal(MachineStateName.STARTED, (await machine.Get()).State);
    }

    [Fact]
    public async Task An_attached_volume_its_host_lacks_at_reconnection_is_attached_again_and_a_refusal_releases_it()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var v1 = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var v2 = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v2", GiB);
        var (machine, _) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));
        var attachments = new List<HostCommand>();
        foreach (var (id, at) in new[] { ("v1", "/one"), ("v2", "/two") })
        {
            await machine.AttachVolume(Attach(id, at), "attach-" + id);
            var attach = await host.NextAsync();
            await machine.OnHostReport(host.Answer(attach, succeeded: true));
            Assert.Equal(JobStateName.SUCCESS, (await FinishedAsync(tenant, "attach-" + id)).State);
            attachments.Add(attach);
        }

        // The agent comes back without either (its records were lost): each is attached again, one operation at a time.
        await docker.DropAsync();
        await docker.ConnectAsync();
        var hosted = fixture.Grains.GetGrain<IHostedMachineGrain>(GrainKeys.Of(tenant, "m1"));
        await hosted.ReconcileWithHost(host.HostId, docker.Session, attachments[^1].Generation, ObservedState.Running);
        await hosted.ReconcileVolumes(host.HostId, docker.Session, []);

        var again = await host.NextAsync();
        Assert.Equal(HostCommandKind.AttachVolume, again.Kind);
        Assert.Equal(attachments[0].Attachment, again.Attachment);
        await machine.OnHostReport(host.Answer(again, succeeded: true));
        // The second one the host refuses: given up, the Volume released, the Job saying why.
        var refused = await host.NextAsync();
        Assert.Equal(HostCommandKind.AttachVolume, refused.Kind);
        Assert.Equal(attachments[1].Attachment, refused.Attachment);
        await machine.OnHostReport(host.Answer(refused, succeeded: false, "mount: /two: no such file"));

        await Eventually.Until(() => v2.Get(), v => v.AttachedTo is null, "Volume v2 to be released after the host refused it");
        var listed = Assert.Single(await machine.GetVolumes());
        Assert.Equal(("volumes/v1", "attached"), (listed.Volume!.Href, listed.Properties![MachineVolumes.StatusProperty]));
        Assert.Equal(["machines/m1"], (await v1.Get()).AttachedTo!.Select(r => r.Href));
        Assert.Equal(MachineStateName.STARTED, (await machine.Get()).State);
    }

    [Fact]
    public async Task A_volume_the_host_has_attached_unrecorded_at_reconnection_is_detached_there()
    {
        await using var docker = await new DockerHost(fixture).ConnectAsync();
        var host = docker.Host;
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var (_, create) = await RunningAsync(host, tenant, "m1", await TemplateAsync(tenant));
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m1"));
        var hosted = fixture.Grains.GetGrain<IHostedMachineGrain>(GrainKeys.Of(tenant, "m1"));
        // The agent's inventory lists the Machine with a Volume attached that the cluster never gave it.
        await hosted.ReconcileWithHost(host.HostId, docker.Session, create.Generation, ObservedState.Running);

        // Another session's inventory is stale; another tenant's key is none of the Machine's Volumes.
        await hosted.ReconcileVolumes(host.HostId, "an-older-session", [GrainKeys.Of(tenant, "v1")]);
        Assert.Empty(await machine.GetVolumes());
        await hosted.ReconcileVolumes(host.HostId, docker.Session, [GrainKeys.Of(tenant, "v1"), GrainKeys.Of(GrainClusterFixture.NewTenant(), "v1")]);

        Assert.Equal("detaching", Assert.Single(await machine.GetVolumes()).Properties![MachineVolumes.StatusProperty]);
        var detach = await host.NextAsync();
        Assert.Equal(HostCommandKind.DetachVolume, detach.Kind);
        Assert.Equal(GrainKeys.Of(tenant, "v1"), detach.Attachment!.VolumeKey);
        await machine.OnHostReport(host.Answer(detach, succeeded: true));

        await Eventually.Until(() => machine.GetVolumes(), v => v.Count == 0, "the detached Volume to leave the Machine's volumes");
        var left = await volume.Get();
        Assert.Equal(VolumeStateName.AVAILABLE, left.State);
        Assert.Null(left.AttachedTo);
        Assert.Equal(MachineStateName.STARTED, (await machine.Get()).State);
    }
}
