using CimiGrains.Volumes;

namespace CimiGrains.Grains.Volumes;

/// <summary>
/// docs/VOLUMES.md's attachment rules as one function: what a Machine may attach, given the Volume's
/// format, its host and where it is attached already. Containers (<c>docker</c>) mount a file system on
/// the Volume's own host and may share an ext4 Volume read-write; every other driver sees a block device,
/// whose attachment is exclusive unless every attachment of the Volume is read-only. A VM on another host
/// attaches it over NBD (<see cref="OverNbd"/>): the Volume's host exports it.
/// </summary>
public static class VolumeSharing
{
    /// <summary>The driver whose workloads mount a Volume's file system (all others take a block device).</summary>
    public const string ContainerDriver = "docker";

    /// <summary>Why <paramref name="machineKey"/> may not attach the Volume as <paramref name="use"/> says, or null when it may.</summary>
    public static string? Refusal(string volumeId, string format, string volumeHostId,
        IReadOnlyDictionary<string, VolumeReservation> attachments, string machineKey, VolumeUse use)
    {
        var container = use.Driver == ContainerDriver;
        if (container && !VolumeFormats.IsFileSystem(format))
            return $"Volume '{volumeId}' has format '{format}', a bare block device: a container ({ContainerDriver}) can attach only " +
                $"{VolumeFormats.Ext4} Volumes; {format} Volumes are for VMs.";
        if (container && use.HostId is { } machineHost && machineHost != volumeHostId)
            return $"Volume '{volumeId}' is in the volume pool of host '{volumeHostId}' and the Machine runs on host '{machineHost}': " +
                "a container attaches only Volumes on its own host.";
        var others = attachments.Where(a => a.Key != machineKey).ToList();
        if (others.Count == 0) return null;
        var anyVm = !container || others.Any(a => a.Value.Driver != ContainerDriver);
        var allReadOnly = use.ReadOnly && others.All(a => a.Value.ReadOnly);
        if (anyVm && !allReadOnly)
        {
            var held = string.Join(", ", others.Select(a => $"'{MachineRef(a.Key)}' ({a.Value.Driver}, {(a.Value.ReadOnly ? "read-only" : "read-write")})"));
            return $"Volume '{volumeId}' is attached to {held}: an attachment to a VM is exclusive unless every attachment of the Volume is read-only.";
        }
        return null;
    }

    /// <summary>Whether <paramref name="use"/> reaches a Volume on <paramref name="volumeHostId"/> over NBD: a VM placed elsewhere.</summary>
    public static bool OverNbd(string volumeHostId, VolumeUse use) =>
        use.Driver != ContainerDriver && use.HostId is { } machineHost && machineHost != volumeHostId;

    /// <summary>The Machine's id (<c>machines/{localId}</c>) from its grain key.</summary>
    public static string MachineRef(string machineKey) => ResourceKind.Machine.IdOf(GrainKeys.Split(machineKey).LocalId);
}
