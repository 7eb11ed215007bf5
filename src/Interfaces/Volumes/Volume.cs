namespace CimiGrains.Volumes;

/// <summary>
/// Storage at the block or file-system level that lives independently of any Machine (DSP0263 Volume).
/// <see cref="Capacity"/> is in KB (KiB, as CIMI counts Disk capacity). <see cref="Format"/>,
/// <see cref="Host"/> and <see cref="AttachedTo"/> are CimiGrains extensions, declared in the Volume
/// ResourceMetadata: the format the host made (ext4, raw, qcow2), the host whose pool holds it, and the
/// Machines it is attached to now.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.Volume")]
public sealed record Volume : CimiResource
{
    [Id(0)] public VolumeStateName? State { get; init; }
    [Id(1)] public string? Type { get; init; }
    [Id(2)] public long? Capacity { get; init; }
    [Id(3)] public bool? Bootable { get; init; }
    [Id(4)] public string? Format { get; init; }
    [Id(5)] public string? Host { get; init; }
    [Id(6)] public IReadOnlyList<ResourceRef>? AttachedTo { get; init; }

    /// <summary>The VolumeVolumeImageCollection: the VolumeImages captured from the Volume and the one it was made from.</summary>
    [Id(7)] public ResourceRef? Images { get; init; }

    /// <summary>The MeterCollection of the Meters that measure it (<c>volumes/{id}/meters</c>).</summary>
    [Id(9)] public ResourceRef? Meters { get; init; }

    /// <summary>Its EventLog (<c>eventLogs/{segment}.{localId}</c>, docs/EVENTS.md): the events of this resource.</summary>
    [Id(8)] public ResourceRef? EventLog { get; init; }
}
