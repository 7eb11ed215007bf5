using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Volumes;

namespace CimiGrains.Tests.Grains.Volumes;

/// <summary>Capturing a Volume into a VolumeImage, making Volumes from it, and releasing it when the image is deleted.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class VolumeCaptureTests(GrainClusterFixture fixture)
{
    private const long GiB = 1024 * 1024;

    /// <summary>A capture's location is a cluster-wide key (image ids are generated in production), so each test uses its own image id.</summary>
    private static string NewImageId() => "i" + Guid.NewGuid().ToString("N")[..12];

    private IVolumeImageGrain Image(string tenant, string id) => fixture.Grains.GetGrain<IVolumeImageGrain>(GrainKeys.Of(tenant, id));

    /// <summary>A capture of a new Volume into the VolumeImage <paramref name="imageId"/>, answered by the host.</summary>
    private async Task<(IVolumeGrain Volume, HostCommand Capture)> CapturedAsync(FakeHost host, string tenant, string imageId, bool succeeded = true)
    {
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        var accepted = await volume.Capture(new VolumeImage { Name = "snap", Bootable = true }, imageId, "jc");
        Assert.Equal(("CREATING", VolumeImageLocation.Capture(imageId), true), (accepted.Image.State, accepted.Image.ImageLocation, accepted.Image.Bootable));
        Assert.Equal(VolumeStateName.CAPTURING, (await volume.Get()).State);
        var command = await host.NextAsync();
        await volume.OnHostReport(VolumePoolHosts.Answer(host, command, succeeded, succeeded ? null : "export failed",
            succeeded ? command.CaptureImageLocation : null));
        await Eventually.Until(() => fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "jc")).Get(),
            j => j.State is JobStateName.SUCCESS or JobStateName.FAILED, "the capture Job to finish");
        return (volume, command);
    }

    [Fact]
    public async Task A_capture_sends_the_host_the_images_location_and_its_answer_makes_the_image_AVAILABLE()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var i1 = NewImageId();

        var (volume, command) = await CapturedAsync(host, tenant, i1);

        Assert.Equal((HostedKind.Volume, HostCommandKind.Capture, $"volume:cimigrains/capture:{i1}"), (command.Resource, command.Kind, command.CaptureImageLocation));
        Assert.Equal(VolumeStateName.AVAILABLE, (await volume.Get()).State);
        Assert.Equal("AVAILABLE", (await Image(tenant, i1).Get()).State);
        Assert.Equal(tenant, await fixture.Grains.GetGrain<ICapturedImageGrain>($"volume:cimigrains/capture:{i1}").GetOwner());
    }

    [Fact]
    public async Task A_failed_capture_leaves_the_image_in_ERROR_and_the_volume_AVAILABLE()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var i1 = NewImageId();

        var (volume, _) = await CapturedAsync(host, tenant, i1, succeeded: false);

        Assert.Equal(VolumeStateName.AVAILABLE, (await volume.Get()).State);
        Assert.Equal("ERROR", (await Image(tenant, i1).Get()).State);
        Assert.Contains("export failed", (await fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "jc")).Get()).StatusMessage);
    }

    [Fact]
    public async Task A_capture_is_refused_while_a_machine_may_write_the_volume()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var volume = await VolumeFixtures.AvailableAsync(fixture, host, tenant, "v1", GiB);
        await volume.Reserve(GrainKeys.Of(tenant, "m1"), new VolumeUse("docker", host.HostId, "/data", ReadOnly: false));

        var imageId = NewImageId();
        var refused = await Assert.ThrowsAsync<CimiException>(() => volume.Capture(new VolumeImage(), imageId, "jc"));

        Assert.Equal(CimiErrorKind.Conflict, refused.Kind);
        Assert.Contains("attached read-write to 'machines/m1'", refused.Message);
        Assert.Null(await Image(tenant, imageId).GetInternal());
    }

    [Fact]
    public async Task A_volume_made_from_a_capture_is_seeded_with_its_location_and_another_tenant_cannot_name_it()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var i1 = NewImageId();
        await CapturedAsync(host, tenant, i1);

        var copy = fixture.Grains.GetGrain<IVolumeGrain>(GrainKeys.Of(tenant, "v2"));
        await copy.Create(new VolumeCreate
        {
            VolumeTemplate = new VolumeTemplate { VolumeConfig = new VolumeConfiguration { Capacity = 2 * GiB }, VolumeImage = new VolumeImage { Href = $"volumeImages/{i1}" } },
        }, "j2");

        Assert.Equal(new VolumeSpec(2 * GiB, "ext4", tenant, $"volume:cimigrains/capture:{i1}", true), (await host.NextAsync()).Volume);
        var other = GrainClusterFixture.NewTenant();
        var refused = await Assert.ThrowsAsync<CimiException>(() =>
            Image(other, "stolen").Create(new VolumeImage { ImageLocation = $"volume:cimigrains/capture:{i1}" }));
        Assert.Contains("is not allowed", refused.Message);
    }

    [Fact]
    public async Task Deleting_the_captured_image_asks_its_hosts_to_remove_it()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var i1 = NewImageId();
        await CapturedAsync(host, tenant, i1);

        await Image(tenant, i1).Delete();

        Assert.Contains($"volume:cimigrains/capture:{i1}", await fixture.Grains.GetGrain<IHostGrain>(host.HostId).GetImagesToRemove());
        Assert.Null(await fixture.Grains.GetGrain<ICapturedImageGrain>($"volume:cimigrains/capture:{i1}").GetOwner());
    }

    [Fact]
    public async Task A_volumes_images_list_the_image_it_was_made_from_and_its_captures_but_not_deleted_ones()
    {
        await using var hosts = new VolumePoolHosts(fixture);
        var host = await hosts.ConnectAsync(10 * GiB);
        var tenant = GrainClusterFixture.NewTenant();
        var i1 = NewImageId();
        var (source, _) = await CapturedAsync(host, tenant, i1);
        var copy = fixture.Grains.GetGrain<IVolumeGrain>(GrainKeys.Of(tenant, "v2"));
        await copy.Create(new VolumeCreate
        {
            VolumeTemplate = new VolumeTemplate { VolumeConfig = new VolumeConfiguration { Capacity = GiB }, VolumeImage = new VolumeImage { Href = $"volumeImages/{i1}" } },
        }, "j2");

        Assert.Equal(new ResourceRef("volumes/v1/images"), (await source.Get()).Images);
        var listed = Assert.Single(await source.GetImages());
        Assert.Equal(($"volumes/v1/images/{i1}", new ResourceRef($"volumeImages/{i1}"), "snap"), (listed.Id, listed.VolumeImage, listed.Name));
        Assert.Equal(new ResourceRef($"volumeImages/{i1}"), Assert.Single(await copy.GetImages()).VolumeImage);

        await Image(tenant, i1).Delete();

        Assert.Empty(await source.GetImages());
        Assert.Empty(await copy.GetImages());
    }
}
