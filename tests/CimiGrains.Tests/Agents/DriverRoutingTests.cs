using System.Text.Json.Nodes;
using CimiGrains.Agents.Protocol;

namespace CimiGrains.Tests.Agents;

/// <summary>
/// Drivers chosen by the image location's scheme: the agent advertises the drivers its probe found
/// usable and hands each create to the one the scheme names; the cluster places by the same rule.
/// </summary>
public sealed class DriverRoutingTests
{
    [Fact]
    public async Task An_agent_advertises_its_usable_drivers_and_routes_a_create_by_the_image_scheme()
    {
        await DockerCli.RequireAsync();
        await using var controller = await FakeController.StartAsync();
        var hostId = AgentCloud.NewHostId("route");
        var state = Directory.CreateTempSubdirectory("cimi-agent-state-");
        var agent = AgentProcess.Start(hostId, controller.Url, FakeController.Secret,
            new Dictionary<string, string> { ["CIMI_AGENT_STATE_DIR"] = state.FullName });
        var tenant = $"route-{Guid.NewGuid():N}"[..20];
        try
        {
            var session = await controller.NextSessionAsync();
            Assert.Equal(new[] { "docker" }, session.Register.Drivers.ToArray());
            Assert.True(session.Register.DiskKib > 0, "the host offers the disk its driver keeps workloads on");
            await session.InventoryAsync();

            var qemu = await session.RunAsync(Create(tenant + "/q", "qemu:images/debian-12.qcow2", tenant));
            Assert.False(qemu.Succeeded);
            Assert.Contains("no usable 'qemu' driver (it offers docker)", qemu.Message);

            var unknown = await session.RunAsync(Create(tenant + "/u", "file:/images/x.qcow2", tenant));
            Assert.False(unknown.Succeeded);
            Assert.Contains("names the scheme 'file', which no host driver has", unknown.Message);

            var docker = await session.RunAsync(Create(tenant + "/d", "docker:" + DockerCli.DemoImage, tenant));
            Assert.True(docker.Succeeded, $"the docker create: {docker}");
            Assert.Equal(ObservedState.Running, docker.State);
            Assert.Equal("absent", await DockerCli.StateOfAsync(tenant + "/q"));
        }
        finally
        {
            await agent.DisposeAsync();
            await DockerCli.RemoveHostContainersAsync(hostId);
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_agent_whose_only_driver_cannot_run_stops_saying_why()
    {
        await using var controller = await FakeController.StartAsync();
        var state = Directory.CreateTempSubdirectory("cimi-agent-state-");
        await using var agent = AgentProcess.Start(AgentCloud.NewHostId("nodrv"), controller.Url, FakeController.Secret,
            new Dictionary<string, string>
            {
                ["CIMI_AGENT_STATE_DIR"] = state.FullName,
                ["CIMI_AGENT_DOCKER"] = $"unix://{Path.Combine(state.FullName, "no-engine.sock")}",
            });
        try
        {
            await agent.WaitForExitAsync("the agent without a usable driver to exit");
            Assert.Contains("No driver can run on this host (docker: the Docker engine at", agent.Log);
        }
        finally
        {
            state.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_cluster_places_a_Machine_on_a_host_offering_the_driver_its_image_scheme_names()
    {
        const string QemuImage = "qemu:images/debian-12.qcow2";
        await using var cloud = await AgentCloud.StartAsync("route-place",
            gatewayEnvironment: new Dictionary<string, string> { ["CIMI_PUBLIC_IMAGES"] = QemuImage });
        await cloud.StartAgentAsync(AgentCloud.NewHostId("rp"));
        var (client, template) = await cloud.NewTenantAsync();
        var image = await client.PostAsync("machineImages", new JsonObject { ["name"] = "vm", ["imageLocation"] = QemuImage });
        Assert.True(image.Code == 201, $"registering the public qemu image: {image}");
        var qemuTemplate = template.DeepClone().AsObject();
        qemuTemplate["machineImage"] = new JsonObject { ["href"] = image.Json["id"]!.GetValue<string>() };

        var response = await client.PostAsync("machines", new JsonObject { ["machineTemplate"] = qemuTemplate });
        Assert.True(response.Code == 202, $"creating the Machine: {response}");
        var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        Assert.Equal("FAILED", job["state"]!.GetValue<string>());
        Assert.Contains("No host is available: no connected host offers the 'qemu' driver.", job["statusMessage"]!.GetValue<string>());
    }

    private static Command Create(string key, string imageLocation, string tenant) => new()
    {
        CommandId = Guid.NewGuid().ToString("N"),
        MachineKey = key,
        Generation = 1,
        Kind = CommandKind.Create,
        Spec = new MachineSpec { ImageLocation = imageLocation, Cpu = 1, MemoryKib = 64 * 1024, TenantId = tenant, StartAfterCreate = true },
    };
}
