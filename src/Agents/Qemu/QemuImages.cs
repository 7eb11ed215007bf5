using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Drivers;
using CimiGrains.Hosts;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// The host's image directory (<c>CIMI_AGENT_QEMU_IMAGES</c>). A <c>qemu:REFERENCE</c> is a path in it naming
/// either a disk image file (qcow2 or raw, booted by the BIOS) or a directory with an <c>image.json</c>
/// (<c>kernel</c>, <c>initrd</c>, <c>cmdline</c>, <c>disk</c>, each optional but one of kernel and disk,
/// paths relative to the directory): direct kernel boot, or a BIOS boot of its disk when it has no kernel.
/// Captures are written as such directories.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class QemuImages(QemuDriverOptions options)
{
    public const string Descriptor = "image.json";

    public string Root => options.ImagesDirectory;

    /// <summary>The reference in a <c>qemu:</c> location.</summary>
    public static string ReferenceOf(string imageLocation)
    {
        if (!ImageLocation.TryParse(imageLocation, out var location, out var problem)) throw new DriverException(problem!);
        if (location!.Driver != QemuDriver.DriverName)
            throw new DriverException($"'{imageLocation}' is an image of the '{location.Driver}' driver, not of QEMU's.");
        return location.Reference;
    }

    /// <summary>The absolute path of <paramref name="reference"/>, which must stay inside the image directory
    /// (also through symbolic links: an image is never another VM's disk or a host file).</summary>
    public string PathOf(string reference)
    {
        var path = Path.GetFullPath(Path.Combine(Root, reference));
        if (!Inside(path)) throw new DriverException($"The QEMU image '{reference}' is outside the image directory {Root}.");
        // Neither the path nor a directory on the way may be a link leading out of the image directory.
        for (var step = path; Inside(step); step = Path.GetDirectoryName(step)!)
        {
            FileSystemInfo entry = Directory.Exists(step) ? new DirectoryInfo(step) : new FileInfo(step);
            if (!entry.Exists || entry.LinkTarget is null) continue;
            var resolved = entry.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? step;
            if (!Inside(resolved)) throw new DriverException($"The QEMU image '{reference}' links outside the image directory {Root}.");
        }
        return path;
    }

    private bool Inside(string path) => path.StartsWith(Path.TrimEndingDirectorySeparator(Root) + "/", StringComparison.Ordinal);

    /// <summary>Reads and checks the image; a missing file, a file that is no disk image, or a bad
    /// <c>image.json</c> is a <see cref="DriverException"/> that names it.</summary>
    public Task<BootImage> ResolveAsync(string imageLocation, CancellationToken ct) => ResolveReferenceAsync(ReferenceOf(imageLocation), ct);

    /// <summary>As <see cref="ResolveAsync"/>, for a path in the image directory.</summary>
    public async Task<BootImage> ResolveReferenceAsync(string reference, CancellationToken ct)
    {
        var path = PathOf(reference);
        if (Directory.Exists(path)) return await ResolveDirectoryAsync(reference, path, ct);
        if (!File.Exists(path))
            throw new DriverException($"The QEMU image '{reference}' is not on this host (no file or directory {path}).");
        var format = await DiskFormatAsync(reference, path, bootable: true, ct);
        return new BootImage(path, format, null, null, null);
    }

    private async Task<BootImage> ResolveDirectoryAsync(string reference, string directory, CancellationToken ct)
    {
        var descriptorPath = Path.Combine(directory, Descriptor);
        JsonObject descriptor;
        try
        {
            descriptor = JsonNode.Parse(await File.ReadAllTextAsync(descriptorPath, ct)) as JsonObject
                ?? throw new DriverException($"The QEMU image '{reference}': {Descriptor} is not a JSON object.");
        }
        catch (FileNotFoundException)
        {
            throw new DriverException($"The QEMU image '{reference}' is a directory without an {Descriptor} (kernel, initrd, cmdline, disk).");
        }
        catch (JsonException e)
        {
            throw new DriverException($"The QEMU image '{reference}': {Descriptor} is not valid JSON: {e.Message}");
        }
        string? Member(string name)
        {
            var node = descriptor[name];
            if (node is null) return null;
            return node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0
                ? s
                : throw new DriverException($"The QEMU image '{reference}': '{name}' in {Descriptor} must be a non-empty string.");
        }
        string? FileIn(string name)
        {
            if (Member(name) is not { } relative) return null;
            var path = PathOf(Path.Combine(reference, relative));
            if (!Path.GetFullPath(path).StartsWith(directory + "/", StringComparison.Ordinal))
                throw new DriverException($"The QEMU image '{reference}': '{name}' ({relative}) is outside the image's directory.");
            return File.Exists(path) ? path : throw new DriverException($"The QEMU image '{reference}': its {name} '{relative}' is missing.");
        }
        var kernel = FileIn("kernel");
        var initrd = FileIn("initrd");
        var disk = FileIn("disk");
        if (kernel is null && disk is null)
            throw new DriverException($"The QEMU image '{reference}': {Descriptor} names neither a kernel nor a disk.");
        if (kernel is null && (initrd is not null || Member("cmdline") is not null))
            throw new DriverException($"The QEMU image '{reference}': {Descriptor} has an initrd or cmdline but no kernel.");
        var format = disk is null ? null : await DiskFormatAsync($"{reference}/{Member("disk")}", disk, bootable: kernel is null, ct);
        return new BootImage(disk, format, kernel, initrd, Member("cmdline"));
    }

    /// <summary>
    /// qcow2 or raw, as qemu-img reads it. qemu-img calls any file it does not recognise raw, so a raw
    /// image must also look like a disk: a whole number of 512-byte sectors and, when the BIOS is to
    /// boot it, a boot sector (its first sector ends with 55 AA).
    /// </summary>
    private static async Task<string> DiskFormatAsync(string name, string path, bool bootable, CancellationToken ct)
    {
        var info = await HostCommand.TryRunAsync("qemu-img", ["info", "--output=json", "-U", path], ct);
        var format = info.Code == 0 && JsonNode.Parse(info.Output) is JsonObject o ? o["format"]?.GetValue<string>() : null;
        switch (format)
        {
            case "qcow2":
                return format;
            case "raw":
                var length = new FileInfo(path).Length;
                if (length == 0 || length % 512 != 0)
                    throw new DriverException($"The QEMU image '{name}' is not a disk image: it is neither qcow2 nor raw sectors ({length} bytes).");
                if (bootable && !await HasBootSectorAsync(path, ct))
                    throw new DriverException($"The QEMU image '{name}' is not a bootable disk image: it is not qcow2, and as raw data it has no boot sector.");
                return format;
            case null:
                throw new DriverException($"The QEMU image '{name}' cannot be read by qemu-img: {info.Error.Trim()}");
            default:
                throw new DriverException($"The QEMU image '{name}' is a {format} image; the QEMU driver boots qcow2 and raw images.");
        }
    }

    private static async Task<bool> HasBootSectorAsync(string path, CancellationToken ct)
    {
        var sector = new byte[512];
        await using var file = File.OpenRead(path);
        return await file.ReadAtLeastAsync(sector, 512, throwOnEndOfStream: false, ct) == 512 && sector[510] == 0x55 && sector[511] == 0xAA;
    }

    /// <summary>Whether the image is here and valid.</summary>
    public async Task<bool> HasAsync(string imageLocation, CancellationToken ct)
    {
        try
        {
            await ResolveAsync(imageLocation, ct);
            return true;
        }
        catch (DriverException)
        {
            return false;
        }
    }

    /// <summary>Makes a finished image directory or file (built under a temporary name) readable, not writable,
    /// by the VMs' users and moves it to <paramref name="destination"/>; a destination already there wins
    /// (a repeated capture or import), and the temporary copy is dropped.</summary>
    public static void Publish(string temporary, string destination)
    {
        MakeReadable(temporary);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        try
        {
            if (Directory.Exists(temporary)) Directory.Move(temporary, destination);
            else File.Move(temporary, destination, overwrite: false);
        }
        catch (IOException) when (Directory.Exists(destination) || File.Exists(destination))
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            else File.Delete(temporary);
        }
    }

    private static void MakeReadable(string path)
    {
        const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode Dir = File | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if (Directory.Exists(path))
        {
            System.IO.File.SetUnixFileMode(path, Dir);
            foreach (var entry in Directory.EnumerateFileSystemEntries(path)) MakeReadable(entry);
        }
        else
        {
            System.IO.File.SetUnixFileMode(path, File);
        }
    }
}

/// <summary>What a Machine boots: a disk (absolute path, format) and/or a kernel with its initrd and command line.</summary>
public sealed record BootImage(string? Disk, string? DiskFormat, string? Kernel, string? Initrd, string? Cmdline);
