using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Qemu;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Drivers;

/// <summary>
/// The host side of an <c>ext4</c> Volume used by containers: its file on a loop device, mounted once on the
/// host at <c>&lt;state&gt;/volume-mounts/&lt;hash&gt;</c>, shared by every container of this host that uses it.
/// Mounting one file twice would make two superblocks over the same bytes (corruption), so there is at most
/// one loop device and one mount per file, and the mount goes only when no Machine record uses the Volume
/// any more (the driver decides who uses it, from its records on disk).
/// Nothing here trusts memory: whether a Volume is mounted is read from <c>/proc/self/mountinfo</c>, its
/// loop devices from <c>losetup -j</c>, and a marker (<c>&lt;hash&gt;.json</c>, the Volume's key and file) is
/// written before the loop device is made, so after a kill -9 at any moment <see cref="ReconcileAsync"/>
/// finds every loop device and mount this agent made and removes those no one uses.
/// </summary>
public sealed partial class VolumeMounts(string stateDirectory, ILogger logger)
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>Where the host mounts live (one directory and one marker per Volume).</summary>
    public string Root => Path.Combine(stateDirectory, "volume-mounts");

    public string MountPointOf(string volumeKey) => Path.Combine(Root, Hash(volumeKey));

    private string MarkerOf(string volumeKey) => MountPointOf(volumeKey) + ".json";

    /// <summary>What a container needs of the host mount: where it is, the loop device under it, and its
    /// <c>major:minor</c> (how a container's mountinfo shows the same file system).</summary>
    public sealed record HostMount(string MountPoint, string Device, string DeviceNumber, bool ReadOnly);

    /// <summary>
    /// The Volume mounted on the host (made if needed; idempotent). An <c>ext4</c> file only: a container sees a
    /// file system, and <c>raw</c>/<c>qcow2</c> Volumes are bare block devices for VMs. The loop device is
    /// read-only when the first user asks so; a later read-write user of a read-only mount is refused (its
    /// read-only users must detach first), because a loop device's mode cannot change while it is mounted.
    /// </summary>
    public async Task<HostMount> AcquireAsync(AttachedVolume volume, CancellationToken ct)
    {
        if (!string.Equals(volume.Format, "ext4", StringComparison.OrdinalIgnoreCase))
            throw new DriverException($"Volume {volume.VolumeKey} is a {volume.Format} volume: a container can use only ext4 volumes (a file system); {volume.Format} volumes are block devices for VMs.");
        if (volume.Path is not { Length: > 0 } file)
            throw new DriverException($"Volume {volume.VolumeKey} is not in this host's pool: a container can use only volumes on its own host.");
        if (!File.Exists(file)) throw new DriverException($"The file of Volume {volume.VolumeKey} ({file}) does not exist on this host.");
        var gate = _locks.GetOrAdd(volume.VolumeKey, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var mountPoint = MountPointOf(volume.VolumeKey);
            if (MountInfo.Read("/proc/self/mountinfo").FirstOrDefault(m => m.MountPoint == mountPoint) is { } mounted)
            {
                var ro = mounted.Options.Split(',').Contains("ro");
                if (ro && !volume.ReadOnly)
                    throw new DriverException($"Volume {volume.VolumeKey} is mounted read-only on host for its other users; it can be attached read-write only once they have detached it.");
                return new HostMount(mountPoint, mounted.Source, mounted.DeviceNumber, ro);
            }
            Directory.CreateDirectory(Root);
            // The marker before the loop device: whatever a crash leaves, the reconciliation can find by it.
            WriteMarker(volume.VolumeKey, file);
            var device = await LoopDeviceAsync(file, volume.ReadOnly, ct);
            Directory.CreateDirectory(mountPoint);
            var readOnly = File.ReadAllText($"/sys/block/{Path.GetFileName(device)}/ro").Trim() == "1";
            var (code, _, error) = await HostCommand.TryRunAsync("mount", ["-t", "ext4", "-o", readOnly ? "ro,nosuid,nodev" : "rw,nosuid,nodev", device, mountPoint], ct);
            if (code != 0)
            {
                await HostCommand.TryRunAsync("losetup", ["-d", device], CancellationToken.None);
                throw new DriverException($"Volume {volume.VolumeKey} cannot be mounted (is it an ext4 volume?): {error.Trim()}");
            }
            var number = File.ReadAllText($"/sys/block/{Path.GetFileName(device)}/dev").Trim();
            LogMounted(volume.VolumeKey, device, mountPoint, readOnly);
            return new HostMount(mountPoint, device, number, readOnly);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>A loop device over <paramref name="file"/>: the one a crash left (between losetup and mount), or a new one.</summary>
    private static async Task<string> LoopDeviceAsync(string file, bool readOnly, CancellationToken ct)
    {
        var existing = await LoopDevicesOfAsync(file, ct);
        if (existing.FirstOrDefault() is { } left)
        {
            // Extra ones cannot be in use: the file is mounted nowhere on this host (checked by the caller).
            foreach (var extra in existing.Skip(1)) await HostCommand.TryRunAsync("losetup", ["-d", extra], ct);
            return left;
        }
        // Direct I/O from the loop device to the file: without it every block is cached twice (the Volume's file
        // system over the device, and the pool's file system over the file), and a workload's fsync waits on both
        // caches' write-back. Where the pool's file system cannot do O_DIRECT losetup warns and falls back.
        string[] arguments = readOnly
            ? ["--find", "--show", "--direct-io=on", "--read-only", file]
            : ["--find", "--show", "--direct-io=on", file];
        return (await HostCommand.RunAsync("losetup", arguments, ct)).Trim();
    }

    /// <summary>The loop devices backed by <paramref name="file"/> now (the kernel's truth, not memory).</summary>
    public static async Task<IReadOnlyList<string>> LoopDevicesOfAsync(string file, CancellationToken ct)
    {
        var (code, output, _) = await HostCommand.TryRunAsync("losetup", ["-j", file, "-J", "-O", "NAME"], ct);
        if (code != 0 || output.Trim().Length == 0) return [];
        return JsonNode.Parse(output)?["loopdevices"] is JsonArray devices
            ? devices.Select(d => d?["name"]?.GetValue<string>()).OfType<string>().ToList()
            : [];
    }

    /// <summary>
    /// Unmounts the Volume from the host and detaches its loop devices; the caller has checked that no Machine
    /// uses it. A mount still busy (a process on the host inside it) is an error, not a lazy unmount: a lazily
    /// detached file system would live on, and a later mount of the same file would be a second superblock.
    /// </summary>
    public async Task ReleaseAsync(string volumeKey, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(volumeKey, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            var mountPoint = MountPointOf(volumeKey);
            var file = ReadMarker(MarkerOf(volumeKey));
            if (MountInfo.Read("/proc/self/mountinfo").FirstOrDefault(m => m.MountPoint == mountPoint) is { } mounted)
            {
                // Another mount of the same file system (a container still using it, a bind on the host) would outlive
                // the loop device's detach and a later mount of the file would be a second superblock: refuse.
                if (OtherMountOf(mounted.DeviceNumber, mountPoint) is { } user)
                    throw new DriverException($"Volume {volumeKey} is still mounted elsewhere on this host ({user}); it is not released.");
                var (code, _, error) = await HostCommand.TryRunAsync("umount", [mountPoint], ct);
                if (code != 0) throw new DriverException($"Volume {volumeKey} cannot be unmounted from the host: {error.Trim()}");
            }
            if (file is not null)
            {
                foreach (var device in await LoopDevicesOfAsync(file, ct)) await HostCommand.TryRunAsync("losetup", ["-d", device], ct);
                await AwaitLoopDevicesFreedAsync(volumeKey, file, ct);
            }
            if (Directory.Exists(mountPoint)) Directory.Delete(mountPoint);
            // Last: until here a crash leaves the marker, and the next reconciliation finishes the job.
            File.Delete(MarkerOf(volumeKey));
            LogReleased(volumeKey);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Waits (at most <see cref="LoopFreeTimeout"/>) until no loop device is backed by <paramref name="file"/>. A
    /// <c>losetup -d</c> on a device the kernel still holds (the file system's last reference lives in a container's
    /// mount namespace that is being torn down) only marks it autoclear: the kernel frees it later, so the release
    /// would otherwise be reported while the device is still there, and a delete or a new attach right after would
    /// find it. A device that no mount namespace shows mounted any more is detached again on each round.
    /// </summary>
    private async Task AwaitLoopDevicesFreedAsync(string volumeKey, string file, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + LoopFreeTimeout;
        while (true)
        {
            var left = await LoopDevicesOfAsync(file, ct);
            if (left.Count == 0) return;
            if (DateTime.UtcNow >= deadline)
            {
                LogLoopDevicesLinger(volumeKey, string.Join(", ", left), (int)LoopFreeTimeout.TotalSeconds);
                return;
            }
            await Task.Delay(LoopFreePoll, ct);
            foreach (var device in left)
            {
                if (DeviceNumberOf(device) is { } number && OtherMountOf(number, hostMountPoint: "") is null)
                    await HostCommand.TryRunAsync("losetup", ["-d", device], ct);
            }
        }
    }

    private static readonly TimeSpan LoopFreeTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LoopFreePoll = TimeSpan.FromMilliseconds(50);

    /// <summary>The loop device's <c>major:minor</c>, or null once the kernel has freed it.</summary>
    private static string? DeviceNumberOf(string device)
    {
        try
        {
            return File.ReadAllText($"/sys/block/{Path.GetFileName(device)}/dev").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// At agent start: every Volume this agent mounted (by its markers) that no Machine uses any more
    /// (<paramref name="inUse"/>: Volume keys from the driver's records) is unmounted and its loop devices
    /// detached. Those in use are left to the driver, which mounts them again where its records say.
    /// </summary>
    public async Task ReconcileAsync(IReadOnlySet<string> inUse, CancellationToken ct)
    {
        if (!Directory.Exists(Root)) return;
        foreach (var marker in Directory.EnumerateFiles(Root, "*.json"))
        {
            var key = ReadMarkerKey(marker);
            if (key is null)
            {
                // A marker half written: its loop device was not made yet (the marker comes first).
                File.Delete(marker);
                continue;
            }
            if (inUse.Contains(key)) continue;
            try
            {
                await ReleaseAsync(key, ct);
            }
            catch (DriverException e)
            {
                LogReconcileFailed(key, e.Message);
            }
        }
        // Mount points whose marker is gone were released up to the last step.
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            if (!File.Exists(directory + ".json") && !MountInfo.Read("/proc/self/mountinfo").Any(m => m.MountPoint == directory)) Directory.Delete(directory);
        }
    }

    /// <summary>A mount of file system <paramref name="deviceNumber"/> other than the host mount, in any mount
    /// namespace of the host (each read once, through one of its processes), described; or null.</summary>
    private static string? OtherMountOf(string deviceNumber, string hostMountPoint)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(process);
            if (!name.All(char.IsAsciiDigit)) continue;
            string? ns;
            try
            {
                ns = new FileInfo(Path.Combine(process, "ns", "mnt")).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            if (ns is null || !seen.Add(ns)) continue;
            var own = name == Environment.ProcessId.ToString(CultureInfo.InvariantCulture) || ns == new FileInfo("/proc/self/ns/mnt").LinkTarget;
            foreach (var m in MountInfo.Read(Path.Combine(process, "mountinfo")).Where(m => m.DeviceNumber == deviceNumber))
            {
                if (own && m.MountPoint == hostMountPoint) continue;
                return own ? $"at {m.MountPoint}" : $"at {m.MountPoint} in the mount namespace of process {name}";
            }
        }
        return null;
    }

    private void WriteMarker(string volumeKey, string file)
    {
        var marker = MarkerOf(volumeKey);
        var temp = marker + ".tmp";
        File.WriteAllText(temp, new JsonObject { ["volumeKey"] = volumeKey, ["file"] = file }.ToJsonString());
        File.Move(temp, marker, overwrite: true);
    }

    private static string? ReadMarker(string marker) => ReadMarkerField(marker, "file");

    private static string? ReadMarkerKey(string marker) => ReadMarkerField(marker, "volumeKey");

    private static string? ReadMarkerField(string marker, string field)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(marker))?[field]?.GetValue<string>();
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string Hash(string volumeKey) => "v-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volumeKey)))[..20];

    [LoggerMessage(Level = LogLevel.Information, Message = "Volume {VolumeKey}: {Device} mounted on the host at {MountPoint} (read-only: {ReadOnly})")]
    private partial void LogMounted(string volumeKey, string device, string mountPoint, bool readOnly);

    [LoggerMessage(Level = LogLevel.Information, Message = "Volume {VolumeKey}: unmounted from the host, loop device detached")]
    private partial void LogReleased(string volumeKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume {VolumeKey}: loop device(s) {Devices} still backed by its file {Seconds} s after the detach (the kernel frees them once their last user goes)")]
    private partial void LogLoopDevicesLinger(string volumeKey, string devices, int seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume {VolumeKey}: could not release its unused host mount: {Error}")]
    private partial void LogReconcileFailed(string volumeKey, string error);
}
