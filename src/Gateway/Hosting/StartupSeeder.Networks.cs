using CimiGrains.Networks;

namespace CimiGrains.Gateway.Hosting;

// The demo tenant's Network: a PRIVATE NetworkConfiguration `private` (mtu 1450, 10.42.0.0/24), a template on it, and
// the Network `demo` made from it, so two demo Machines can be put on one Network at once.
public sealed partial class StartupSeeder
{
    public const string DemoNetwork = "demo";

    private async Task EnsureDemoNetworks()
    {
        await Ensure<NetworkConfiguration, INetworkConfigurationGrain>("private", new NetworkConfiguration
        {
            Name = "private", Description = "A private network: 10.42.0.0/24, mtu 1450 (a 1500-byte underlay less VXLAN)",
            NetworkType = NetworkTypes.Private, Mtu = 1450, Subnet = "10.42.0.0/24",
        });
        await Ensure<NetworkTemplate, INetworkTemplateGrain>("private", new NetworkTemplate
        {
            Name = "private", Description = "A private network on the private configuration",
            NetworkConfig = new NetworkConfiguration { Href = NetworkConfigurationRegistration.Type.Kind.IdOf("private") },
        });
        var network = grains.GetGrain<INetworkGrain>(GrainKeys.Of(DemoTenant, DemoNetwork));
        if (await network.GetInternal() is not null) return;
        try
        {
            await network.Create(new NetworkCreate
            {
                Name = DemoNetwork, Description = "The demo tenant's private network",
                NetworkTemplate = new NetworkTemplate { Href = NetworkTemplateRegistration.Type.Kind.IdOf("private") },
            });
        }
        catch (CimiException e) when (e.Kind == CimiErrorKind.Conflict)
        {
            // Another instance seeded it first.
        }
    }
}
