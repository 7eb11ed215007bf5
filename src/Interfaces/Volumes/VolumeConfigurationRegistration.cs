namespace CimiGrains.Volumes;

/// <summary>The VolumeConfiguration type: a plain stored resource (type, format, capacity).</summary>
public static class VolumeConfigurationRegistration
{
    /// <summary>The capacity the grains accept (KB, i.e. KiB), for a VolumeConfiguration and a Volume alike.</summary>
    public static readonly CimiAttributeConstraint Capacity = new("capacity", "Capacity in KB (KiB); a host's volume pool must have room for it.") { Low = 1 };

    /// <summary>The formats a host makes (docs/VOLUMES.md); absent means ext4.</summary>
    public static readonly CimiAttributeConstraint Format = new("format",
        "ext4 (a file system, the default; containers and VMs), raw or qcow2 (block devices; VMs only).") { Values = VolumeFormats.All };

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("VolumeConfiguration", "volumeConfigs"),
        Record = typeof(VolumeConfiguration),
        Grain = typeof(IVolumeConfigurationGrain),
        CollectionArray = "volumeConfigurations",
        EntryPointAttribute = "volumeConfigs",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "type", "format", "capacity", "operations"],
        Constraints = [Capacity, Format, new("type", "A URI naming the kind of Volume; absent: …/volume/filesystem for ext4, …/volume/block otherwise.")],
    };
}
