using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http;

/// <summary>
/// The demo tenant's demo VM: with CIMI_DEMO_PASSWORD set the gateway seeds the MachineImage and
/// MachineTemplate <c>demo-vm</c> (on the small configuration) beside the untouched demo container, and
/// the location is a public image any tenant may name; CIMI_DEMO_VM_IMAGE empty seeds and offers none.
/// Each test runs its own gateway on its own database, since seeding happens at start.
/// </summary>
public sealed class DemoVmSeedingTests
{
    private const string DemoPassword = "demo-vm-seeding-password";

    private static async Task<GatewayProcess> StartAsync(string name, IDictionary<string, string> environment)
    {
        var postgres = await TestDatabase.CreateAsync(name);
        environment["CIMI_DEMO_PASSWORD"] = DemoPassword;
        return await GatewayProcess.StartAsync(postgres, environment);
    }

    private static string Href(JsonNode node, string property) => node[property]!["href"]!.GetValue<string>();

    [Fact]
    public async Task The_demo_tenant_gets_a_demo_vm_image_and_template_beside_the_demo_container()
    {
        await using var gateway = await StartAsync("demovmseed", new Dictionary<string, string>());
        using var demo = gateway.Client("demo", DemoPassword);

        var image = await demo.GetAsync("machineImages/demo-vm");
        Assert.Equal(200, image.Code);
        Assert.Equal("qemu:demo-vm", image.Json["imageLocation"]!.GetValue<string>());
        Assert.Equal("demo-vm", image.Json["name"]!.GetValue<string>());

        var template = await demo.GetAsync("machineTemplates/demo-vm");
        Assert.Equal(200, template.Code);
        Assert.EndsWith("/cimi/machineConfigs/small", Href(template.Json, "machineConfig"));
        Assert.EndsWith("/cimi/machineImages/demo-vm", Href(template.Json, "machineImage"));

        // The guest boots in what the small configuration gives it.
        var small = (await demo.GetAsync("machineConfigs/small")).Json;
        Assert.True(small["memory"]!.GetValue<long>() >= 256 * 1024);

        // The demo container is as it was.
        Assert.Equal("docker:cimigrains/demo:latest", (await demo.GetAsync("machineImages/demo")).Json["imageLocation"]!.GetValue<string>());
        Assert.EndsWith("/cimi/machineImages/demo", Href((await demo.GetAsync("machineTemplates/demo")).Json, "machineImage"));

        // A public image: another tenant may register it too.
        using var other = await Tenants.CreateAsync(gateway);
        var own = await other.PostAsync("machineImages", new JsonObject { ["name"] = "vm", ["imageLocation"] = "qemu:demo-vm" });
        Assert.Equal(201, own.Code);
    }

    [Fact]
    public async Task An_empty_CIMI_DEMO_VM_IMAGE_seeds_no_demo_vm_and_offers_none()
    {
        await using var gateway = await StartAsync("demovmoff", new Dictionary<string, string> { ["CIMI_DEMO_VM_IMAGE"] = "" });
        using var demo = gateway.Client("demo", DemoPassword);

        Assert.Equal(404, (await demo.GetAsync("machineImages/demo-vm")).Code);
        Assert.Equal(404, (await demo.GetAsync("machineTemplates/demo-vm")).Code);
        Assert.Equal(200, (await demo.GetAsync("machineTemplates/demo")).Code);

        var refused = await demo.PostAsync("machineImages", new JsonObject { ["name"] = "vm", ["imageLocation"] = "qemu:demo-vm" });
        Assert.Equal(400, refused.Code);
        Assert.Contains("qemu:demo-vm", refused.Body);
    }
}
