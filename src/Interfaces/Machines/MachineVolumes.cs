namespace CimiGrains.Machines;

/// <summary>
/// The Machine's <c>disks</c> and <c>volumes</c> sub-collections (DSP0263 DiskCollection and
/// MachineVolumeCollection), stated once for the grains (ids, references) and the Gateway (routes,
/// collection documents, the read-only flag).
/// </summary>
public static class MachineVolumes
{
    /// <summary>The path segment of the Machine's disks after its id.</summary>
    public const string DisksSegment = "disks";

    /// <summary>The path segment of the Machine's volumes after its id.</summary>
    public const string VolumesSegment = "volumes";

    /// <summary>The collection segment of Volumes (<c>volumes/{id}</c>), which a MachineVolume's <c>volume</c> references.</summary>
    public const string VolumeCollectionSegment = "volumes";

    /// <summary>The property of a MachineVolume that asks for (and shows) a read-only attachment: <c>"true"</c>.
    /// DSP0263 1.x has no such attribute; the Machine ResourceMetadata declares it as a capability.</summary>
    public const string ReadOnlyProperty = "cimigrains.readOnly";

    /// <summary>The property of a MachineVolume that shows where its attachment stands: <c>attaching</c>,
    /// <c>attached</c> or <c>detaching</c>. Set by the provider; a consumer's value is ignored.</summary>
    public const string StatusProperty = "cimigrains.attachment";

    /// <summary>The longest <c>initialLocation</c> accepted (a path in the workload).</summary>
    public const int MaxInitialLocationLength = 1024;

    public static string DisksOf(string machineId) => $"{machineId}/{DisksSegment}";

    public static string VolumesOf(string machineId) => $"{machineId}/{VolumesSegment}";

    /// <summary>The id of the MachineVolume attaching Volume <paramref name="volumeLocalId"/> to <paramref name="machineId"/>.</summary>
    public static string MachineVolumeId(string machineId, string volumeLocalId) => $"{VolumesOf(machineId)}/{volumeLocalId}";

    /// <summary>The local id of the Volume a relative href (<c>volumes/{id}</c>) names, or null when it names none.</summary>
    public static string? VolumeLocalIdOf(string? href)
    {
        if (href is null || !href.StartsWith(VolumeCollectionSegment + "/", StringComparison.Ordinal)) return null;
        var local = href[(VolumeCollectionSegment.Length + 1)..];
        return local.Length is > 0 and <= 64 && local.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? local : null;
    }
}
