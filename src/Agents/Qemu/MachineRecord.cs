using System.Text.Json;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Networks;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// A Machine's record, <c>m-HASH.json</c> beside its runtime directory <c>m-HASH/</c>: everything the driver
/// needs to run, adopt, report and remove the VM after an agent restart, without asking the cluster. It is
/// kept out of the directory the VM's uid owns, so a VM cannot rewrite it (its uid slot, its kernel).
/// Written atomically (temp file and rename), before the directory is made: a directory without a
/// record is never a Machine's.
/// <see cref="Complete"/> is set only after every file of the create exists, so a create cut short by a
/// crash is recognised as half-made (redone by the repeated create, removed by a delete).
/// </summary>
public sealed record MachineRecord
{
    public required string MachineKey { get; init; }
    public required long Generation { get; init; }
    public required string TenantId { get; init; }
    public required string HostId { get; init; }
    /// <summary>The image location the Machine was created from (<c>qemu:REFERENCE</c>).</summary>
    public required string Image { get; init; }
    public required int Cpu { get; init; }
    public required long MemoryKiB { get; init; }
    /// <summary>The slot of the unprivileged uid/gid the VM runs as (<see cref="QemuDriverOptions.UidBase"/> + slot).</summary>
    public required int UidSlot { get; init; }
    /// <summary>The boot disk's backing image (absolute path) and its format; null for a kernel image without a disk.</summary>
    public string? BaseDisk { get; init; }
    public string? BaseDiskFormat { get; init; }
    /// <summary>Direct kernel boot (absolute paths into the image directory); null for a BIOS boot.</summary>
    public string? Kernel { get; init; }
    public string? Initrd { get; init; }
    public string? Cmdline { get; init; }
    public IReadOnlyList<RecordedDisk> Disks { get; init; } = [];
    public bool Complete { get; init; }
    /// <summary>Whether the VM has ever been started (a VM never started is CREATED, not STOPPED).</summary>
    public bool Started { get; init; }
    /// <summary>How many PCIe root ports the VM has for hot-plugged Volumes (0 in records that predate Volumes:
    /// their VMs were made without them, and a saved state must be restored into the same devices).</summary>
    public int VolumeSlots { get; init; }
    /// <summary>The Volumes attached now, each on its root port: on the command line at every launch (so a
    /// restart, a restore and an adoption keep them), hot-plugged while the VM runs.</summary>
    public IReadOnlyList<RecordedVolume> Volumes { get; init; } = [];
    /// <summary>How many PCIe root ports the VM has for network interfaces (0 in records that predate Networks), after
    /// the Volumes' ports so those keep their addresses.</summary>
    public int NetworkSlots { get; init; }
    /// <summary>The network interfaces plugged now, each a tap on its Network's bridge and a virtio-net device on its
    /// root port: on the command line at every launch, hot-plugged while the VM runs.</summary>
    public IReadOnlyList<RecordedNetworkInterface> NetworkInterfaces { get; init; } = [];


    /// <summary>The record in <paramref name="file"/>, or null when there is none (or an unreadable one).</summary>
    public static MachineRecord? Read(string file)
    {
        try
        {
            return JsonSerializer.Deserialize<MachineRecord>(File.ReadAllBytes(file), RecordFiles.Json);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Root's alone: the record holds the keys of the VM's NBD volumes, and other VMs' uids share the runtime directory.</summary>
    public void Write(string file) => RecordFiles.Write(file, this, ownerOnly: true);
}

/// <summary>One of the Machine's own disks: its file in the runtime directory and its capacity.</summary>
public sealed record RecordedDisk(string File, long CapacityKiB);

/// <summary>A Volume attached to the VM: its file (null when reached over NBD), format, mode, and the root port
/// (<see cref="Slot"/>) its virtio-blk device sits on, which also names its QEMU nodes and device.</summary>
public sealed record RecordedVolume(string VolumeKey, string? Path, string Format, bool ReadOnly, int Slot,
    string? NbdAddress = null, string? NbdExport = null, string? NbdIdentity = null, string? NbdPsk = null)
{
    public string FileNode => $"volfile{Slot}";
    public string FormatNode => $"vol{Slot}";
    public string Device => $"voldev{Slot}";
    public string Port => $"volport{Slot}";

    /// <summary>The TLS credentials object of an NBD Volume, and the directory (in the VM's own) holding its key file.</summary>
    public string TlsObject => $"voltls{Slot}";
    public string TlsDirectory(MachineDirectory directory) => System.IO.Path.Combine(directory.Path, $"nbd-{Slot}");

    /// <summary>The guest's serial for it: the Volume's local id (after the tenant), its first 20 characters
    /// (virtio-blk's limit), so the guest finds it at /dev/disk/by-id/virtio-SERIAL.</summary>
    public string Serial => VolumeKey[(VolumeKey.IndexOf('/') + 1)..] is var local && local.Length > 20 ? local[..20] : VolumeKey[(VolumeKey.IndexOf('/') + 1)..];

    /// <summary>QEMU's block driver for the format: an ext4 Volume is a raw device holding a file system. Over NBD
    /// always raw: the owning host's export serves the Volume's contents (its format opened there), not its file.</summary>
    public string Driver => NbdAddress is null && string.Equals(Format, "qcow2", StringComparison.OrdinalIgnoreCase) ? "qcow2" : "raw";
}

/// <summary>A network interface of the VM: what the plane plugs (<see cref="Interface"/>), the root port it sits on
/// (<see cref="Slot"/>, which also names its QEMU netdev and device) and the tap the plane made for it (null until the
/// first launch or hot-plug asked the plane for it).</summary>
public sealed record RecordedNetworkInterface(NetworkPlaneInterface Interface, int Slot, string? Tap = null)
{
    public string Netdev => $"net{Slot}";
    public string Device => $"nicdev{Slot}";
    public string Port => $"nicport{Slot}";
}
