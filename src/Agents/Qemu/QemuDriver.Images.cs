using System.Formats.Tar;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Drivers;
using CimiGrains.Hosts;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// Images: captures (a consistent, standalone copy of a Machine's disk as a new image directory), and the
/// portable form another host imports (a tar: a manifest, then the image's files with its disk flattened
/// into one qcow2 without backing files).
/// </summary>
public sealed partial class QemuDriver
{
    private const string Manifest = "cimigrains-qemu-image.json";
    private const string FileDisk = "disk";

    public async Task<string> CaptureAsync(string machineKey, string imageLocation, CancellationToken ct)
    {
        var (directory, record) = Require(machineKey);
        var location = ImageLocation.Parse(imageLocation);
        var destination = _images.PathOf(QemuImages.ReferenceOf(imageLocation));
        // Captured already (a repeated command): the image that exists is the answer.
        if (Directory.Exists(destination)) return location.ToString();
        var pid = QemuProcess.Find(directory);
        // Consistent: QEMU flushes the guest's disk writes as it pauses the vCPUs.
        var resume = pid is { } p && await RunStatusAsync(machineKey, directory, p, ct) == "running";
        if (resume) await QmpExecuteAsync(machineKey, directory, pid!.Value, "stop", null, ct);
        var temporary = Path.Combine(_images.Root, $".capture-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temporary);
            var descriptor = new JsonObject();
            if (record.BaseDisk is not null)
            {
                var disk = Path.Combine(temporary, "disk.qcow2");
                // The overlay is the VM's own file, so it is read with the VM's privileges: whatever its
                // header names as a backing file, the copy holds nothing that VM could not read anyway.
                await File.WriteAllBytesAsync(disk, [], ct);
                var uid = UidOf(record).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await HostCommand.RunAsync("chown", [$"{uid}:{uid}", disk], ct);
                await HostCommand.RunAsync("setpriv",
                    [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--no-new-privs", "qemu-img", "convert", "-U", "-O", "qcow2", directory.Overlay, disk],
                    ct, workingDirectory: directory.Path);
                await HostCommand.RunAsync("chown", ["0:0", disk], ct);
                descriptor["disk"] = "disk.qcow2";
            }
            if (record.Kernel is not null) descriptor["kernel"] = await LinkIntoAsync(record.Kernel, temporary, ct);
            if (record.Initrd is not null) descriptor["initrd"] = await LinkIntoAsync(record.Initrd, temporary, ct);
            if (record.Cmdline is not null) descriptor["cmdline"] = record.Cmdline;
            await File.WriteAllTextAsync(Path.Combine(temporary, QemuImages.Descriptor), descriptor.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), ct);
            QemuImages.Publish(temporary, destination);
        }
        catch
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw;
        }
        finally
        {
            if (resume && QemuProcess.IsQemuOf(pid!.Value, directory)) await QmpExecuteAsync(machineKey, directory, pid.Value, "cont", null, CancellationToken.None);
        }
        LogCaptured(machineKey, location.ToString());
        return location.ToString();
    }

    /// <summary>A hard link to an image's file (images are never written in place), else a copy; returns its name.</summary>
    private static async Task<string> LinkIntoAsync(string source, string directory, CancellationToken ct)
    {
        var name = Path.GetFileName(source);
        var target = Path.Combine(directory, name);
        var (code, _, _) = await HostCommand.TryRunAsync("ln", [source, target], ct);
        if (code != 0) File.Copy(source, target);
        return name;
    }

    public async Task<IReadOnlyList<string>> RemoveImageAsync(string imageLocation, CancellationToken ct)
    {
        var canonical = ImageLocation.Parse(imageLocation).ToString();
        var path = _images.PathOf(QemuImages.ReferenceOf(imageLocation));
        // Any host's VMs in this runtime directory: their overlays need the image as a backing file.
        var users = Directory.Exists(qemu.RuntimeDirectory)
            ? Directory.EnumerateFiles(qemu.RuntimeDirectory, MachineDirectory.Prefix + "*.json")
                .Select(MachineRecord.Read)
                .Where(r => r is not null && ImageLocation.TryParse(r.Image, out var l, out _) && l!.ToString() == canonical)
                .Select(r => r!.MachineKey).ToList()
            : [];
        if (users.Count > 0) return users;
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else File.Delete(path);
        await Task.CompletedTask;
        return [];
    }

    public Task<bool> HasImageAsync(string imageLocation, CancellationToken ct) => _images.HasAsync(imageLocation, ct);

    public async Task ExportImageAsync(string imageLocation, Stream destination, CancellationToken ct)
    {
        var reference = QemuImages.ReferenceOf(imageLocation);
        var image = await _images.ResolveReferenceAsync(reference, ct);
        var path = _images.PathOf(reference);
        var scratch = Directory.CreateTempSubdirectory("cimi-export-");
        try
        {
            await using var tar = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
            var isDirectory = Directory.Exists(path);
            await WriteEntryAsync(tar, Manifest, new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(new { kind = isDirectory ? "directory" : "file" })), ct);
            if (!isDirectory)
            {
                await WriteEntryAsync(tar, FileDisk, await FlattenAsync(path, scratch.FullName, ct), ct);
                return;
            }
            foreach (var file in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal))
            {
                var content = file == image.Disk ? await FlattenAsync(file, scratch.FullName, ct) : File.OpenRead(file);
                await WriteEntryAsync(tar, Path.GetFileName(file), content, ct);
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>The disk as one standalone qcow2 (backing chain merged), opened for reading.</summary>
    private static async Task<Stream> FlattenAsync(string disk, string scratch, CancellationToken ct)
    {
        var flat = Path.Combine(scratch, Guid.NewGuid().ToString("N") + ".qcow2");
        await HostCommand.RunAsync("qemu-img", ["convert", "-U", "-O", "qcow2", disk, flat], ct);
        return File.OpenRead(flat);
    }

    private static async Task WriteEntryAsync(TarWriter tar, string name, Stream content, CancellationToken ct)
    {
        await using (content)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                DataStream = content,
            };
            await tar.WriteEntryAsync(entry, ct);
        }
    }

    public async Task ImportImageAsync(string imageLocation, Stream source, CancellationToken ct)
    {
        var reference = QemuImages.ReferenceOf(imageLocation);
        var destination = _images.PathOf(reference);
        if (await _images.HasAsync(imageLocation, ct)) return;
        var temporary = Path.Combine(_images.Root, $".import-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            string? kind = null;
            // An operator registers a plain qcow2 or raw disk (docs/IMAGES.md); this driver's own exports are
            // tar archives (a tar header says "ustar" at offset 257). The first block tells them apart.
            var head = new byte[512];
            var read = await source.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
            var content = new ConcatenatedStream(head.AsMemory(0, read), source);
            if (read < 262 || !head.AsSpan(257, 5).SequenceEqual("ustar"u8))
            {
                await using (var file = File.Create(Path.Combine(temporary, FileDisk))) await content.CopyToAsync(file, ct);
                kind = "file";
            }
            else await using (var tar = new TarReader(content, leaveOpen: true))
            {
                while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                    if (entry.Name.Contains('/') || entry.Name is "." or ".." || entry.Name.Length == 0)
                        throw new DriverException($"The image archive for {imageLocation} holds '{entry.Name}', which is not a plain file name.");
                    if (entry.Name == Manifest)
                    {
                        kind = JsonNode.Parse(entry.DataStream)?["kind"]?.GetValue<string>();
                        continue;
                    }
                    await using var file = File.Create(Path.Combine(temporary, entry.Name));
                    await entry.DataStream.CopyToAsync(file, ct);
                }
            }
            var staged = kind switch
            {
                "file" => Path.Combine(temporary, FileDisk),
                "directory" => temporary,
                _ => throw new DriverException($"The image archive for {imageLocation} is not a QEMU image export (no {Manifest})."),
            };
            // Checked as it will be booted before it takes the name.
            await _images.ResolveReferenceAsync(Path.GetRelativePath(_images.Root, staged), ct);
            QemuImages.Publish(staged, destination);
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
        LogImported(imageLocation);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Captured the disk of {MachineKey} as {Image}")]
    private partial void LogCaptured(string machineKey, string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "Imported the image {Image}")]
    private partial void LogImported(string image);
}
