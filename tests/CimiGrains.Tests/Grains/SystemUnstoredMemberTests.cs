using CimiGrains.Jobs;
using CimiGrains.Networks;
using CimiGrains.Systems;

namespace CimiGrains.Tests.Grains;

/// <summary>
/// A NetworkPort or Address component whose create was cut short by a crash after its Network counted it (the port
/// counted, the address reserved) but before it stored itself: when the System then rolls back, it lets go of those
/// holds, so its Network can be deleted and the rollback ends clean instead of waiting on a member that does not exist.
/// The crash is played by making the holds by hand, under the member ids the System's plan gives them.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class SystemUnstoredMemberTests(GrainClusterFixture fixture)
{
    private static ComponentDescriptor Network(string name, int? mtu = null) => new()
    {
        Name = name, Type = CimiUris.TypeUri("Network"),
        NetworkTemplate = new NetworkTemplate { NetworkConfig = new NetworkConfiguration { NetworkType = "PRIVATE", Mtu = mtu } },
    };

    [Fact]
    public async Task A_rollback_lets_go_of_the_port_and_address_a_crashed_create_left_on_its_Network()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var system = "s" + Guid.NewGuid().ToString("N")[..12];
        // Component 0 is the Network, 1 the Address, 2 the NetworkPort (SystemComponents.MemberLocalId).
        var network = fixture.Grains.GetGrain<INetworkGrain>(GrainKeys.Of(tenant, $"{system}-0-0"));
        await network.Create(new NetworkCreate { Name = "net", NetworkTemplate = Network("net").NetworkTemplate });
        await network.ReserveAddress(GrainKeys.Of(tenant, $"{system}-1-0"), null);
        await network.AddPort(GrainKeys.Of(tenant, $"{system}-2-0"));
        var held = await Assert.ThrowsAsync<CimiException>(() => network.Delete());
        Assert.Equal(CimiErrorKind.Conflict, held.Kind);

        // The Network is found made (as after a crash); 'bad' is refused, so the rollback starts before 1 and 2 are asked.
        var template = new SystemTemplate
        {
            ComponentDescriptors =
            [
                Network("net"),
                new() { Name = "vip", Type = CimiUris.TypeUri("Address"), AddressTemplate = new AddressTemplate { Network = new ResourceRef("#net") } },
                new() { Name = "port", Type = CimiUris.TypeUri("NetworkPort"), NetworkPortTemplate = new NetworkPortTemplate { Network = new ResourceRef("#net") } },
                Network("bad", mtu: 10),
            ],
        };
        await fixture.Grains.GetGrain<ISystemGrain>(GrainKeys.Of(tenant, system)).Create(new SystemCreate { Name = "s", SystemTemplate = template }, "j1");
        var job = await Eventually.Until(() => fixture.Grains.GetGrain<IJobGrain>(GrainKeys.Of(tenant, "j1")).Get(),
            j => j.State is JobStateName.SUCCESS or JobStateName.FAILED, "the System's create to end", TimeSpan.FromSeconds(90));

        Assert.Equal(JobStateName.FAILED, job.State);
        Assert.True(job.StatusMessage!.Contains("Component 'bad' (Network) was refused", StringComparison.Ordinal)
            && job.StatusMessage.Contains("Everything the System had made was removed", StringComparison.Ordinal), job.StatusMessage);
        Assert.Null(await network.GetInternal());
    }
}
