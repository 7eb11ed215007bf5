using CimiGrains.Grains.Common;
using CimiGrains.Machines;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace CimiGrains.Tests.Security;

/// <summary>
/// Issue 9, finding 2: a MachineImage stored before the image rule existed (here written straight into
/// grain storage, as an old row would be) cannot boot a Machine: the Machine grain checks the image it
/// resolves, not only the MachineImage grain at registration.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class StoredImageRuleTests(GrainClusterFixture fixture)
{
    [Theory]
    [InlineData("docker:f6c")]
    [InlineData("docker:busybox:latest")]
    [InlineData("docker:cimigrains/capture:0123456789abcdef0123456789abcdef")]
    public async Task A_Machine_cannot_boot_from_a_stored_MachineImage_whose_location_the_tenant_may_not_name(string location)
    {
        var tenant = GrainClusterFixture.NewTenant();
        await StoreOldImageAsync(tenant, "old", location);
        await fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c"))
            .Create(new MachineConfiguration { Cpu = 1, Memory = 65536 });
        var machine = fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m"));

        var refused = await Assert.ThrowsAsync<CimiException>(() => machine.Create(new MachineCreate
        {
            MachineTemplate = new MachineTemplate
            {
                MachineConfig = new MachineConfiguration { Href = "machineConfigs/c" },
                MachineImage = new MachineImage { Href = "machineImages/old" },
            },
        }, "j"));

        Assert.Equal(CimiErrorKind.Invalid, refused.Kind);
        Assert.Contains("public image", refused.Message);
        await Assert.ThrowsAsync<CimiException>(() => machine.Get());
    }

    private async Task StoreOldImageAsync(string tenant, string localId, string location)
    {
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>("cimi");
        var image = new MachineImage
        {
            Id = ResourceKind.MachineImage.IdOf(localId), Name = "old", ImageLocation = location, State = "AVAILABLE", Type = "IMAGE",
            Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
        };
        await storage.WriteStateAsync("machineImage", GrainId.Create("machineimage", GrainKeys.Of(tenant, localId)),
            new GrainState<ResourceState<MachineImage>>(new ResourceState<MachineImage> { Resource = image }));
    }
}
