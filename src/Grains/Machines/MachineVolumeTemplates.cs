using CimiGrains.Grains.Common;
using CimiGrains.Grains.Images;
using CimiGrains.Grains.Volumes;
using CimiGrains.Hosts;
using CimiGrains.Machines;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// A MachineTemplate's <c>volumeTemplates</c>, checked as the Volume grain will check each one when it creates
/// the Volume, so that a bad one is the MachineCreate's 400 (naming it) before anything is stored, never a
/// Machine that fails later. Also where each new Volume appears: unique among the Machine's Volumes.
/// </summary>
public static class MachineVolumeTemplates
{
    /// <summary>
    /// Checks each entry. <paramref name="driver"/> is the Machine's when known (a container needs an
    /// <c>initialLocation</c> and a file-system Volume, and the capacity must fit some host's pool); null checks
    /// only what holds for every driver (a stored MachineTemplate). <paramref name="taken"/> are the locations
    /// the template's existing Volumes take. Returns the new Volumes, ids chosen, in order.
    /// </summary>
    public static async Task<IReadOnlyList<MachineNewVolume>> CheckAsync(IGrainFactory grains, ImageStoreDatabase store, string tenantId,
        IReadOnlyList<MachineTemplateVolumeTemplate>? volumeTemplates, string? driver, IEnumerable<string?> taken)
    {
        var locations = new HashSet<string>(taken.OfType<string>(), StringComparer.Ordinal);
        var result = new List<MachineNewVolume>();
        (string HostId, long PoolKiB)? largest = null;
        var askedForPool = false;
        foreach (var (entry, i) in (volumeTemplates ?? []).Select((v, i) => (v, i)))
        {
            var at = $"'machineTemplate.volumeTemplates[{i}]'";
            try
            {
                var template = entry.ToVolumeTemplate();
                var config = await ResolveConfigAsync(grains, store, tenantId, template);
                var format = config.Format ?? VolumeFormats.Default;
                if (driver == "docker" && !VolumeFormats.IsFileSystem(format))
                    throw CimiException.Invalid($"a container mounts only {VolumeFormats.Ext4} Volumes, and this one would be {format}.");
                if (driver is not null)
                {
                    if (!askedForPool) largest = await grains.GetGrain<IHostSchedulerGrain>(0).LargestVolumePool();
                    askedForPool = true;
                    if (largest is { } pool && config.Capacity > pool.PoolKiB)
                        throw CimiException.Invalid($"'capacity' {config.Capacity} KB is larger than any host's volume pool (the largest is host '{pool.HostId}' with {pool.PoolKiB} KiB).");
                }
                var location = MachineVolumeRules.CheckInitialLocation(entry.InitialLocation, driver ?? "qemu");
                if (location is not null && !locations.Add(location))
                    throw CimiException.Invalid($"its Volume would be at '{location}', where another of the Machine's Volumes is.");
                result.Add(new MachineNewVolume(Guid.NewGuid().ToString("N"), template, location, Guid.NewGuid().ToString("N"), Requested: false));
            }
            catch (CimiException e) when (e.Kind is CimiErrorKind.Invalid or CimiErrorKind.NotFound)
            {
                throw CimiException.Invalid($"{at}: {e.Message}");
            }
        }
        return result;
    }

    /// <summary>The template resolved as the Volume grain resolves it: its references must resolve, its configuration be
    /// whole, and its initial content an AVAILABLE VolumeImage the tenant may name. Returns the configuration.</summary>
    private static async Task<VolumeConfiguration> ResolveConfigAsync(IGrainFactory grains, ImageStoreDatabase store, string tenantId, VolumeTemplate given)
    {
        var template = await References.ResolveOrValueAsync<IVolumeTemplateGrain, VolumeTemplate>(
            grains, tenantId, VolumeTemplateRegistration.Type.Kind, "volumeTemplate", given, VolumeTemplateGrain.Merge);
        await VolumeTemplateGrain.CheckAsync(grains, store, tenantId, template! with { Href = null });
        var config = await References.ResolveOrValueAsync<IVolumeConfigurationGrain, VolumeConfiguration>(
            grains, tenantId, VolumeConfigurationRegistration.Type.Kind, "volumeConfig", template!.VolumeConfig, VolumeConfigurationGrain.Merge)
            ?? throw CimiException.Invalid("the volume template has no 'volumeConfig'.");
        VolumeConfigurationGrain.Check(config, requireAll: true);
        var image = await References.ResolveOrValueAsync<IVolumeImageGrain, VolumeImage>(
            grains, tenantId, VolumeImageRegistration.Type.Kind, "volumeImage", template.VolumeImage, VolumeImageGrain.Merge);
        if (image is not null)
        {
            VolumeImageGrain.Check(image, requireAll: true);
            if (image.State is { } state && state != "AVAILABLE")
                throw CimiException.Invalid($"VolumeImage '{template.VolumeImage!.Href}' is {state}, not AVAILABLE.");
            await VolumeImages.CheckAsync(grains, store, tenantId, image.ImageLocation!, ownImageLocalId: null);
        }
        return config;
    }
}
