namespace CimiGrains.Volumes;

/// <summary>The Volume type: created from a VolumeCreate with a Job, deleted with a Job; attached through Machines.</summary>
public static class VolumeRegistration
{
    /// <summary>The path segment of a Volume's images collection after its id.</summary>
    public const string ImagesSegment = "images";

    /// <summary>The id of Volume <paramref name="volumeId"/>'s images collection.</summary>
    public static string ImagesOf(string volumeId) => $"{volumeId}/{ImagesSegment}";

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("Volume", "volumes"),
        Record = typeof(Volume),
        Grain = typeof(IVolumeGrain),
        CollectionArray = "volumes",
        EntryPointAttribute = "volumes",
        // Create and delete answer 202 with a Job: Gateway/Volumes/VolumeApi maps them.
        Routing = CimiRouting.Custom,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "state", "type", "capacity", "bootable", "images", "meters", "eventLog", "operations"],
        ProviderAttributes = ["state", "type", "capacity", "bootable", "images", "format", "host", "attachedTo", "meters", "eventLog"],
        Documents =
        [
            new(typeof(VolumeCreate), "VolumeCreate", [.. CimiTypeRegistration.CommonElements, "volumeTemplate"]),
            // The items of the Volume's images collection (volumes/{id}/images).
            new(typeof(VolumeVolumeImage), "VolumeVolumeImage", [.. CimiTypeRegistration.CommonElements, "volumeImage", "operations"]),
        ],
        Capabilities =
        [
            new("SharedVolumeSupport", "true",
                "An ext4 Volume may be attached read-write to several containers on its host; any attachment to a VM is exclusive unless every attachment is read-only."),
            new("VolumeConfigByValue", "true", "A VolumeTemplate may carry its VolumeConfiguration by value."),
            new("VolumeImageByValue", "true", "A VolumeTemplate may carry its VolumeImage by value."),
            new("VolumeTemplateByValue", "true", "A VolumeCreate may carry its VolumeTemplate by value."),
            new("VolumeSnapshot", "true", "POST a VolumeImage whose imageLocation is a Volume's href to capture the Volume (not while attached read-write)."),
        ],
        Constraints =
        [
            VolumeConfigurationRegistration.Capacity,
            VolumeConfigurationRegistration.Format,
            new("host", "The host whose volume pool holds the Volume, once placed."),
            new("attachedTo", "The Machines the Volume is attached to (or being attached to); a Volume attached anywhere cannot be deleted."),
        ],
    };
}
