using CimiGrains.Networks;

namespace CimiGrains.Tests.Grains.Networks;

/// <summary>Networks made by value for grain tests, and the keys their leases use.</summary>
public static class NetworkFixtures
{
    public static NetworkCreate ByValue(string? subnet = "10.42.0.0/24", int? mtu = null, string? type = null, string? initialState = null) => new()
    {
        Name = "net",
        NetworkTemplate = new NetworkTemplate
        {
            NetworkConfig = new NetworkConfiguration { Subnet = subnet, Mtu = mtu, NetworkType = type },
            InitialState = initialState,
        },
    };

    public static async Task<INetworkGrain> CreatedAsync(GrainClusterFixture fixture, string tenant, string id, string? subnet = "10.42.0.0/24",
        string? type = null)
    {
        var network = fixture.Grains.GetGrain<INetworkGrain>(GrainKeys.Of(tenant, id));
        await network.Create(ByValue(subnet, type: type));
        return network;
    }

    public static string Machine(string tenant, string id) => GrainKeys.Of(tenant, id);

    public static NetworkInterfaceRequest Dynamic => new(null, null);

    public static NetworkInterfaceRequest Static(string address) => new(address, null);
}
