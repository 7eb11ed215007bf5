namespace CimiGrains.Volumes;

/// <summary>
/// The formats a host makes a Volume in (docs/VOLUMES.md): <c>ext4</c>, a file system (containers and
/// VMs); <c>raw</c> and <c>qcow2</c>, bare block devices (VMs only).
/// </summary>
public static class VolumeFormats
{
    public const string Ext4 = "ext4";
    public const string Raw = "raw";
    public const string Qcow2 = "qcow2";

    /// <summary>The format of a Volume whose configuration names none.</summary>
    public const string Default = Ext4;

    public static readonly IReadOnlyList<string> All = [Ext4, Raw, Qcow2];

    /// <summary>Whether a container can mount a Volume of <paramref name="format"/> (it needs a file system).</summary>
    public static bool IsFileSystem(string format) => format == Ext4;

    /// <summary>The Volume <c>type</c> a configuration that names none gets: a file system or a block device.</summary>
    public static string DefaultType(string format) =>
        IsFileSystem(format) ? "http://schemas.dmtf.org/cimi/1/volume/filesystem" : "http://schemas.dmtf.org/cimi/1/volume/block";
}
