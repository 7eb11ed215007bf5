using CimiGrains.Tenancy;
using CimiGrains.Jobs;
using CimiGrains.Machines;
using CimiGrains.Volumes;
using Microsoft.Extensions.Options;

namespace CimiGrains.Gateway.Hosting;

/// <summary>
/// Ensures the operator account and, when asked, the demo tenant with its MachineConfigurations,
/// MachineImages and MachineTemplates (the demo container and, unless turned off, the demo VM). Demo resources have fixed ids, so every instance may run this at every start.
/// </summary>
public sealed partial class StartupSeeder(
    IOptions<CimiGatewayOptions> options, ITenantDirectory tenants, IGrainFactory grains, ILogger<StartupSeeder> logger) : IHostedService
{
    public const string DemoTenant = "demo";

    /// <summary>Local id of the demo tenant's MachineImage and MachineTemplate for the demo VM.</summary>
    public const string DemoVm = "demo-vm";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        await grains.GetGrain<IJobRetentionGrain>(0).Start();
        if (o.AdminPassword is { } adminPassword)
        {
            await tenants.EnsureTenantAsync(TenantNames.OperatorTenant, "Operators", cancellationToken);
            await tenants.SetUserAsync(TenantNames.OperatorTenant, "admin", adminPassword, "admin", replace: true, cancellationToken);
        }
        if (o.DemoPassword is not { } demoPassword) return;
        await tenants.EnsureTenantAsync(DemoTenant, "Demo tenant", cancellationToken);
        await tenants.SetUserAsync(DemoTenant, "demo", demoPassword, "user", replace: true, cancellationToken);
        await Ensure<MachineConfiguration, IMachineConfigurationGrain>("small", new MachineConfiguration
        {
            Name = "small", Description = "1 CPU, 256 MiB", Cpu = 1, Memory = 256 * 1024,
        });
        await Ensure<MachineConfiguration, IMachineConfigurationGrain>("medium", new MachineConfiguration
        {
            Name = "medium", Description = "2 CPUs, 1 GiB", Cpu = 2, Memory = 1024 * 1024,
        });
        await Ensure<MachineImage, IMachineImageGrain>("demo", new MachineImage
        {
            Name = "demo", Description = "A small busybox image built locally by run.sh", ImageLocation = o.DemoImage,
        });
        await Ensure<MachineTemplate, IMachineTemplateGrain>("demo", new MachineTemplate
        {
            Name = "demo", Description = "The demo image on the small configuration",
            MachineConfig = new MachineConfiguration { Href = ResourceKind.MachineConfiguration.IdOf("small") },
            MachineImage = new MachineImage { Href = ResourceKind.MachineImage.IdOf("demo") },
        });
        if (o.DemoVmImage is { } demoVm) await EnsureDemoVm(demoVm);
        await EnsureDemoVolumes();
        await EnsureDemoNetworks();
        await EnsureDemoSystems(withVm: o.DemoVmImage is not null);
        await EnsureDemoMeters();
        LogDemoReady(DemoTenant);
    }

    /// <summary>
    /// The demo VM beside the demo container: a MachineImage on the QEMU image run.sh builds and a template
    /// on the <c>small</c> configuration, whose 256 MiB is what the guest (a cloud kernel and a busybox
    /// initramfs, about 220 MiB usable) boots in with room to spare.
    /// </summary>
    private async Task EnsureDemoVm(string location)
    {
        await Ensure<MachineImage, IMachineImageGrain>(DemoVm, new MachineImage
        {
            Name = DemoVm,
            Description = "A small QEMU virtual machine built locally by run.sh (Debian cloud kernel, busybox); reads the NoCloud seed",
            ImageLocation = location,
        });
        await Ensure<MachineTemplate, IMachineTemplateGrain>(DemoVm, new MachineTemplate
        {
            Name = DemoVm, Description = "The demo VM on the small configuration",
            MachineConfig = new MachineConfiguration { Href = ResourceKind.MachineConfiguration.IdOf("small") },
            MachineImage = new MachineImage { Href = ResourceKind.MachineImage.IdOf(DemoVm) },
        });
    }

    /// <summary>VolumeConfigurations of 1 GiB and 10 GiB (ext4, which containers and VMs can both use; the
    /// files are sparse, so a new Volume takes almost no room until it is written) and a template on the first.</summary>
    private async Task EnsureDemoVolumes()
    {
        await Ensure<VolumeConfiguration, IVolumeConfigurationGrain>("1gib", new VolumeConfiguration
        {
            Name = "1gib", Description = "1 GiB ext4", Format = VolumeFormats.Ext4, Capacity = 1024 * 1024,
        });
        await Ensure<VolumeConfiguration, IVolumeConfigurationGrain>("10gib", new VolumeConfiguration
        {
            Name = "10gib", Description = "10 GiB ext4", Format = VolumeFormats.Ext4, Capacity = 10 * 1024 * 1024,
        });
        await Ensure<VolumeTemplate, IVolumeTemplateGrain>("data", new VolumeTemplate
        {
            Name = "data", Description = "A blank 1 GiB ext4 volume",
            VolumeConfig = new VolumeConfiguration { Href = VolumeConfigurationRegistration.Type.Kind.IdOf("1gib") },
        });
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task Ensure<TResource, TGrain>(string localId, TResource resource)
        where TResource : CimiResource
        where TGrain : ICimiResourceGrain<TResource>
    {
        var grain = grains.GetGrain<TGrain>(GrainKeys.Of(DemoTenant, localId));
        if (await grain.GetInternal() is not null) return;
        try
        {
            await grain.Create(resource);
        }
        catch (CimiException e) when (e.Kind == CimiErrorKind.Conflict)
        {
            // Another instance seeded it first.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo tenant '{Tenant}' is ready (user 'demo').")]
    private partial void LogDemoReady(string tenant);
}
