using CimiGrains.Hosts;
using CimiGrains.Jobs;
using CimiGrains.Volumes;

namespace CimiGrains.Tests.Grains.Volumes;

/// <summary>Volumes brought to AVAILABLE on a <see cref="VolumePoolHosts"/> host, for tests of what comes after.</summary>
public static class VolumeFixtures
{
    public static async Task<IVolumeGrain> AvailableAsync(GrainClusterFixture fixture, FakeHost host, string tenant, string id, long capacityKiB,
        string? format = null)
    {
        var volume = fixture.Grains.GetGrain<IVolumeGrain>(GrainKeys.Of(tenant, id));
        var jobId = "create-" + id;
        await volume.Create(new VolumeCreate
        {
            VolumeTemplate = new VolumeTemplate { VolumeConfig = new VolumeConfiguration { Capacity = capacityKiB, Format = format } },
        }, jobId);
        var command = await host.NextAsync();
        await volume.OnHostReport(VolumePoolHosts.Answer(host, command, succeeded: true));
        var job = fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, jobId));
        await Eventually.Until(() => job.Get(), j => j.State == JobStateName.SUCCESS, $"Volume '{id}' to be created");
        return volume;
    }
}
