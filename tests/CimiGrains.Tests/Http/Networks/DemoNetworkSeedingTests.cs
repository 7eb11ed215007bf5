namespace CimiGrains.Tests.Http.Networks;

/// <summary>With CIMI_DEMO_PASSWORD set (as run.sh sets it) the demo tenant gets the NetworkConfiguration and
/// NetworkTemplate <c>private</c> and the STARTED private Network <c>demo</c>, also after a restart that seeds again.</summary>
public sealed class DemoNetworkSeedingTests
{
    private const string DemoPassword = "demo-network-seeding-password";

    [Fact]
    public async Task The_demo_tenant_gets_a_private_configuration_template_and_Network_once()
    {
        var postgres = await TestDatabase.CreateAsync("demonetseed");
        var environment = new Dictionary<string, string> { ["CIMI_DEMO_PASSWORD"] = DemoPassword, ["CIMI_DEMO_VM_IMAGE"] = "" };
        var ports = FreePorts.Take(3);
        await using (var first = await GatewayProcess.StartAsync(postgres, environment, ports))
        {
            using var demo = first.Client("demo", DemoPassword);
            var config = (await demo.GetAsync("networkConfigs/private")).Json;
            Assert.Equal(("PRIVATE", 1450, "10.42.0.0/24"), (config.Str("networkType"), config["mtu"]!.GetValue<int>(), config.Str("subnet")));
            Assert.EndsWith("/cimi/networkConfigs/private", (await demo.GetAsync("networkTemplates/private")).Json["networkConfig"].Str("href"));
            var network = (await demo.GetAsync("networks/demo")).Json;
            Assert.Equal(("STARTED", "PRIVATE", "10.42.0.0/24"), (network.Str("state"), network.Str("networkType"), network.Str("subnet")));
        }
        await using var second = await GatewayProcess.StartAsync(postgres, environment, ports);
        using var again = second.Client("demo", DemoPassword);
        Assert.Equal(1, (await again.GetAsync("networks")).Json["count"]!.GetValue<int>());
        Assert.Equal("STARTED", (await again.GetAsync("networks/demo")).Json.Str("state"));
    }
}
