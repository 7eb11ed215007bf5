using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Systems;
using CimiGrains.Volumes;

namespace CimiGrains.Gateway.Hosting;

// The demo tenant's SystemTemplate `demo`: a private Network of its own, a 1 GiB Volume, two web containers on the
// Network and a database (the demo VM when QEMU is there, else a container) on it with the Volume, so one
// SystemCreate makes all of it, spread over the hosts.
public sealed partial class StartupSeeder
{
    public const string DemoSystemTemplate = "demo";

    private Task EnsureDemoSystems(bool withVm)
    {
        static ComponentDescriptor Component(string name, string type, int quantity = 1) =>
            new() { Name = name, Type = CimiUris.TypeUri(type), Quantity = quantity };
        var onNet = new MachineTemplateNetworkInterface { Network = new ResourceRef(SystemComponents.Reference("net")) };
        return Ensure<SystemTemplate, ISystemTemplateGrain>(DemoSystemTemplate, new SystemTemplate
        {
            Name = DemoSystemTemplate,
            Description = "Two web containers and a database " + (withVm ? "VM" : "container") + " with a 1 GiB Volume, on a private Network of their own",
            ComponentDescriptors =
            [
                Component("net", "Network") with
                {
                    Description = "The System's private network",
                    NetworkTemplate = new NetworkTemplate { NetworkConfig = new NetworkConfiguration { NetworkType = NetworkTypes.Private } },
                },
                Component("data", "Volume") with
                {
                    Description = "The database's data",
                    VolumeTemplate = new VolumeTemplate { Href = VolumeTemplateRegistration.Type.Kind.IdOf("data") },
                },
                Component("web", "Machine", 2) with
                {
                    Description = "Web servers (the demo container)",
                    MachineTemplate = new MachineTemplate { Href = ResourceKind.MachineTemplate.IdOf("demo"), NetworkInterfaces = [onNet] },
                },
                Component("db", "Machine") with
                {
                    Description = "The database, with the Volume at /data",
                    MachineTemplate = new MachineTemplate
                    {
                        Href = ResourceKind.MachineTemplate.IdOf(withVm ? DemoVm : "demo"), NetworkInterfaces = [onNet],
                        Volumes = [new MachineTemplateVolume { Href = SystemComponents.Reference("data"), InitialLocation = "/data" }],
                    },
                },
            ],
        });
    }
}
