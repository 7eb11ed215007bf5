using System.Globalization;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Qemu;

namespace CimiGrains.Agents.Volumes;

/// <summary>
/// The formats a Volume's file is made in (docs/VOLUMES.md) and the host tools that make them: every file is
/// sparse and of exactly the Volume's capacity, so making one writes almost nothing.
/// </summary>
public static class VolumeFormats
{
    public const string Ext4 = "ext4";
    public const string Raw = "raw";
    public const string Qcow2 = "qcow2";

    public static readonly IReadOnlyList<string> All = [Ext4, Raw, Qcow2];

    /// <summary>
    /// mkfs.ext4 for a file the kernel later loop-mounts: forced (it is a file, not a device), quiet, no
    /// blocks reserved for root (the consumer asked for the whole capacity), and the inode tables and the
    /// journal initialised now rather than by the kernel's lazy-init thread after the first mount (which
    /// would write behind the workload's back and make the first minutes of a fresh Volume slow). On a
    /// file mke2fs discards (punches holes) first, so the eager initialisation still writes little.
    /// </summary>
    private static readonly string[] Mkfs = ["-F", "-q", "-m", "0", "-E", "lazy_itable_init=0,lazy_journal_init=0"];

    /// <summary>The format as stored (lower case); empty means the default, ext4. Throws naming the formats.</summary>
    public static string Normalize(string format)
    {
        var f = format.Trim().ToLowerInvariant();
        if (f.Length == 0) return Ext4;
        return All.Contains(f) ? f : throw new DriverException($"The volume format '{format}' is unknown: a Volume is {string.Join(", ", All)}.");
    }

    /// <summary>Makes a blank Volume of <paramref name="capacityKiB"/> in the empty file <paramref name="path"/> (whose mode it keeps).</summary>
    public static async Task CreateBlankAsync(string path, string format, long capacityKiB, CancellationToken ct)
    {
        var bytes = checked(capacityKiB * 1024);
        switch (format)
        {
            case Ext4:
                Sparse(path, bytes);
                await HostCommand.RunAsync(HostTools.Find("mkfs.ext4"), [.. Mkfs, path], ct);
                break;
            case Raw:
                Sparse(path, bytes);
                break;
            case Qcow2:
                await HostCommand.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", path, bytes.ToString(CultureInfo.InvariantCulture)], ct);
                break;
            default:
                throw new DriverException($"The volume format '{format}' is unknown.");
        }
    }

    /// <summary>
    /// Turns the image bytes fetched into <paramref name="path"/> into a Volume of <paramref name="capacityKiB"/>:
    /// checks that they are a <paramref name="format"/> Volume no larger than the capacity, then grows them to it
    /// (ext4: the file system too). A qcow2 with a backing or external data file is refused: it would reach a file of this host.
    /// </summary>
    public static async Task GrowFromImageAsync(string path, string format, long capacityKiB, string imageLocation, CancellationToken ct)
    {
        var bytes = checked(capacityKiB * 1024);
        var size = new FileInfo(path).Length;
        switch (format)
        {
            case Ext4:
                var type = await HostCommand.TryRunAsync(HostTools.Find("blkid"), ["-p", "-o", "value", "-s", "TYPE", path], ct);
                if (type.Output.Trim() != Ext4)
                    throw new DriverException($"The image '{imageLocation}' does not hold an ext4 file system, so it cannot seed an ext4 Volume.");
                TooLarge(imageLocation, size, bytes);
                using (var file = new FileStream(path, FileMode.Open, FileAccess.Write)) file.SetLength(bytes);
                // resize2fs insists on a freshly checked file system; -p repairs only what is safe without asking.
                var check = await HostCommand.TryRunAsync(HostTools.Find("e2fsck"), ["-f", "-p", path], ct);
                if (check.Code > 1)
                    throw new DriverException($"The ext4 file system in the image '{imageLocation}' is damaged (e2fsck exit {check.Code}): {check.Output.Trim()} {check.Error.Trim()}");
                await HostCommand.RunAsync(HostTools.Find("resize2fs"), [path], ct);
                break;
            case Raw:
                TooLarge(imageLocation, size, bytes);
                using (var file = new FileStream(path, FileMode.Open, FileAccess.Write)) file.SetLength(bytes);
                break;
            case Qcow2:
                var info = JsonNode.Parse(await HostCommand.RunAsync("qemu-img", ["info", "--output=json", path], ct)) as JsonObject;
                if (info?["format"]?.GetValue<string>() != Qcow2)
                    throw new DriverException($"The image '{imageLocation}' is not a qcow2 image, so it cannot seed a qcow2 Volume.");
                // Either would make the Volume read (or write) some other file of this host.
                if (info["backing-filename"] is not null || info["format-specific"]?["data"]?["data-file"] is not null)
                    throw new DriverException($"The image '{imageLocation}' is a qcow2 image with a backing or external data file; a Volume's image must stand alone.");
                var virtualSize = info["virtual-size"]?.GetValue<long>() ?? 0;
                TooLarge(imageLocation, virtualSize, bytes);
                if (virtualSize < bytes)
                    await HostCommand.RunAsync("qemu-img", ["resize", "-q", "-f", "qcow2", path, bytes.ToString(CultureInfo.InvariantCulture)], ct);
                break;
            default:
                throw new DriverException($"The volume format '{format}' is unknown.");
        }
    }

    private static void TooLarge(string imageLocation, long imageBytes, long capacityBytes)
    {
        if (imageBytes > capacityBytes)
            throw new DriverException(
                $"The image '{imageLocation}' holds {imageBytes / 1024} KiB, more than the Volume's capacity of {capacityBytes / 1024} KiB.");
    }

    /// <summary>The file (made by the pool, empty) given <paramref name="bytes"/> that take no blocks: its length set, nothing written.</summary>
    private static void Sparse(string path, long bytes)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
        file.SetLength(bytes);
    }
}
