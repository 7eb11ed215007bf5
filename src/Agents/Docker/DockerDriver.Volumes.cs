using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Qemu;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// Volumes in containers (docs/VOLUMES.md, "Attaching on the host"). The host mounts each ext4 Volume once
/// (<see cref="VolumeMounts"/>); a container gets it two ways:
/// <list type="bullet">
/// <item>named at create: a bind mount the engine makes at every start, from a host directory of the
/// Machine's own (<c>&lt;state&gt;/volume-binds/…</c>) that is bound to the host mount while the Volume is attached
/// and holds an empty read-only placeholder once it is detached (the engine cannot change a container's mounts,
/// so a detached Volume must not come back at the next start);</item>
/// <item>attached later: mounted live into the container's mount namespace, and again after every start.</item>
/// </list>
/// How the live mount is made: <c>nsenter -t PID -m --root=/ mount DEV /proc/PID/root/TARGET</c>. nsenter opens
/// the host's root before it enters the container's mount namespace and chroots back to it, so the host's own
/// <c>mount</c> binary and <c>/dev/loopN</c> are used (the image may have neither); the target is reached
/// through <c>/proc/PID/root</c>, which is the container's root mount, i.e. in the namespace the mount is made
/// in (the kernel refuses mounts on a mount of another namespace, which also defeats a symbolic link in the
/// container pointing at a host path). Mounting the loop device a second time gives the same superblock as the
/// host mount, not a second one. A bind from the host mount is impossible (the source would be in another
/// namespace), and Docker's private propagation carries nothing in. The agent runs as root, which this needs.
/// </summary>
public sealed partial class DockerDriver
{
    /// <summary>Where a Volume may not be mounted in a container: the system's own trees and the Machine's files.</summary>
    private static readonly string[] ReservedLocations = ["/proc", "/sys", "/dev", MachineFilesDirectory];

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _volumeLocks = new(StringComparer.Ordinal);

    private string VolumeRecordsDirectory => Path.Combine(StateDirectoryOfAgent, "docker-volumes");

    private string VolumeRecordFile(string machineKey) => Path.Combine(VolumeRecordsDirectory, ContainerNaming.For(machineKey) + ".json");

    private string BindsDirectory(string machineKey) => Path.Combine(StateDirectoryOfAgent, "volume-binds", ContainerNaming.For(machineKey));

    private ContainerVolumeRecord? VolumeRecordOf(string machineKey) => ContainerVolumeRecord.Read(VolumeRecordFile(machineKey));

    /// <summary>The keys of the Volumes attached to the Machine's container now (its record's).</summary>
    private IReadOnlyList<string> AttachedKeysOf(string machineKey) =>
        VolumeRecordOf(machineKey)?.Attached.Select(v => v.VolumeKey).ToList() ?? [];

    /// <summary>The clean absolute path where a Volume may appear in a container, or why not (a 4xx for the consumer).</summary>
    public static string ContainerLocation(AttachedVolume volume)
    {
        var location = volume.InitialLocation;
        if (string.IsNullOrWhiteSpace(location))
            throw new DriverException($"Volume {volume.VolumeKey} needs an initialLocation: the directory in the container where it appears (e.g. /data).");
        if (!location.StartsWith('/') || location.Any(char.IsControl))
            throw new DriverException($"initialLocation '{location}' of Volume {volume.VolumeKey} is not an absolute path (it must start with '/').");
        var parts = location.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(p => p is "." or ".."))
            throw new DriverException($"initialLocation '{location}' of Volume {volume.VolumeKey} may not contain '.' or '..'.");
        var clean = "/" + string.Join('/', parts);
        if (clean == "/") throw new DriverException($"Volume {volume.VolumeKey} cannot be mounted at '/' (the container's root).");
        if (ReservedLocations.FirstOrDefault(r => clean == r || clean.StartsWith(r + "/", StringComparison.Ordinal)) is { } reserved)
            throw new DriverException($"initialLocation '{location}' of Volume {volume.VolumeKey} is under {reserved}, which the container's system uses; choose another directory.");
        return clean;
    }

    /// <summary>The checks a container's Volume passes before anything is recorded or mounted.</summary>
    private static AttachedVolume CheckedForContainer(AttachedVolume volume)
    {
        if (!string.Equals(volume.Format, "ext4", StringComparison.OrdinalIgnoreCase))
            throw new DriverException($"Volume {volume.VolumeKey} is a {volume.Format} volume: a container can use only ext4 volumes (a file system); {volume.Format} volumes are block devices for VMs.");
        if (volume.Path is null)
            throw new DriverException($"Volume {volume.VolumeKey} is not on this host: a container can use only volumes in its own host's pool (no NBD for containers).");
        return volume with { InitialLocation = ContainerLocation(volume) };
    }

    /// <summary>
    /// At create, before the container is made: the Volumes checked, recorded, mounted on the host and bound to
    /// the Machine's bind directories; returns the engine's bind mounts. The caller forgets them if the create fails.
    /// </summary>
    private async Task<List<Mount>> PrepareVolumesAsync(string machineKey, IReadOnlyList<AttachedVolume>? volumes, CancellationToken ct)
    {
        var wanted = (volumes ?? []).Select(CheckedForContainer).ToList();
        if (wanted.Count == 0) return [];
        if (wanted.GroupBy(v => v.VolumeKey).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new DriverException($"Volume {twice.Key} is named twice for one Machine.");
        if (wanted.GroupBy(v => v.InitialLocation).FirstOrDefault(g => g.Count() > 1) is { } crowded)
            throw new DriverException($"Two volumes are to be mounted at {crowded.Key}.");
        var binds = wanted.Select(v => new ContainerBind(v.VolumeKey, Path.Combine(BindsDirectory(machineKey), Hash(v.VolumeKey)), v.InitialLocation!, v.ReadOnly)).ToList();
        // Recorded first: a crash from here on leaves a record that the reconciliation at start acts on.
        new ContainerVolumeRecord { MachineKey = machineKey, Attached = wanted, Binds = binds }.Write(VolumeRecordFile(machineKey));
        try
        {
            foreach (var (volume, bind) in wanted.Zip(binds))
            {
                var host = await _volumeMounts.AcquireAsync(volume, ct);
                await ServeBindAsync(bind, host, ct);
            }
        }
        catch (Exception e) when (e is DriverException or IOException)
        {
            await ForgetVolumesAsync(machineKey, CancellationToken.None);
            throw;
        }
        return binds.Select(b => new Mount
        {
            Type = "bind", Source = b.Source, Target = b.Target, ReadOnly = b.ReadOnly,
            BindOptions = new BindOptions { Propagation = "rprivate" },
        }).ToList();
    }

    public async Task<WorkloadStatus> AttachVolumeAsync(string machineKey, AttachedVolume volume, CancellationToken ct)
    {
        var c = await RequireAsync(machineKey, ct);
        var wanted = CheckedForContainer(volume);
        using var _ = await LockVolumesAsync(machineKey, ct);
        var record = VolumeRecordOf(machineKey) ?? new ContainerVolumeRecord { MachineKey = machineKey };
        var known = record.Attached.FirstOrDefault(v => v.VolumeKey == wanted.VolumeKey);
        if (known is not null)
        {
            if (known.InitialLocation != wanted.InitialLocation || known.ReadOnly != wanted.ReadOnly)
                throw new DriverException($"Volume {wanted.VolumeKey} is already attached to {machineKey} at {known.InitialLocation}{(known.ReadOnly ? " (read-only)" : "")}; detach it first.");
        }
        else
        {
            if (record.Attached.FirstOrDefault(v => v.InitialLocation == wanted.InitialLocation) is { } other)
                throw new DriverException($"Volume {other.VolumeKey} is already mounted at {wanted.InitialLocation} in {machineKey}.");
            record = record with { Attached = [.. record.Attached, wanted] };
            record.Write(VolumeRecordFile(machineKey));
        }
        try
        {
            await TestPause.AtAsync("docker-attach-volume:recorded", ct);
            var host = await _volumeMounts.AcquireAsync(wanted, ct);
            await TestPause.AtAsync("docker-attach-volume:host-mounted", ct);
            if (record.BindOf(wanted) is { } bind) await ServeBindAsync(bind, host, ct);
            if (c.State.Running) await MountInContainerAsync(c.State.Pid, wanted, host, ct);
            await TestPause.AtAsync("docker-attach-volume:mounted", ct);
        }
        catch (DriverException) when (known is null)
        {
            // Not attached after all: the record and the host go back to what they were.
            (record with { Attached = record.Attached.Where(v => v.VolumeKey != wanted.VolumeKey).ToList() }).Write(VolumeRecordFile(machineKey));
            await ReleaseIfUnusedQuietlyAsync(wanted.VolumeKey, ct);
            throw;
        }
        LogVolumeAttached(machineKey, wanted.VolumeKey, wanted.InitialLocation!, c.State.Running);
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> DetachVolumeAsync(string machineKey, string volumeKey, CancellationToken ct)
    {
        using (await LockVolumesAsync(machineKey, ct))
        {
            var record = VolumeRecordOf(machineKey);
            if (record?.Attached.FirstOrDefault(v => v.VolumeKey == volumeKey) is not { } volume) return await InspectAsync(machineKey, ct);
            if (await FindAsync(machineKey, ct) is { State.Running: true } c
                && MountInfo.Read("/proc/self/mountinfo").FirstOrDefault(m => m.MountPoint == _volumeMounts.MountPointOf(volumeKey)) is { } host)
            {
                await UnmountInContainerAsync(c.State.Pid, volume, host.DeviceNumber, ct);
            }
            await TestPause.AtAsync("docker-detach-volume:unmounted", ct);
            if (record.BindOf(volume) is { } bind) await ServeBindAsync(bind, null, ct);
            (record with { Attached = record.Attached.Where(v => v.VolumeKey != volumeKey).ToList() }).Write(VolumeRecordFile(machineKey));
            await TestPause.AtAsync("docker-detach-volume:recorded", ct);
            // Detached from the container whatever the host mount does; one that cannot go yet goes at the next start.
            await ReleaseIfUnusedQuietlyAsync(volumeKey, ct);
            LogVolumeDetached(machineKey, volumeKey);
        }
        return await InspectAsync(machineKey, ct);
    }

    /// <summary>After a start of the container (by a command, an event, or found running at agent start): every
    /// attached Volume mounted in it that the engine's binds did not bring.</summary>
    private async Task RemountVolumesAsync(string machineKey, CancellationToken ct)
    {
        if (VolumeRecordOf(machineKey) is not { Attached.Count: > 0 }) return;
        using var _ = await LockVolumesAsync(machineKey, ct);
        if (VolumeRecordOf(machineKey) is not { } record || await FindAsync(machineKey, ct) is not { } c) return;
        foreach (var volume in record.Attached)
        {
            var host = await _volumeMounts.AcquireAsync(volume, ct);
            if (record.BindOf(volume) is { } bind) await ServeBindAsync(bind, host, ct);
            if (c.State.Running) await MountInContainerAsync(c.State.Pid, volume, host, ct);
        }
    }

    /// <summary>The watcher's version: a failure is logged (the event must still be reported).</summary>
    private async Task RemountVolumesQuietlyAsync(string machineKey, CancellationToken ct)
    {
        try
        {
            await RemountVolumesAsync(machineKey, ct);
        }
        catch (Exception e) when (e is DriverException or IOException)
        {
            LogRemountFailed(machineKey, e.Message);
        }
    }

    /// <summary>Once the container is gone: its binds, its record, and the host mounts no one uses any more.</summary>
    private async Task ForgetVolumesAsync(string machineKey, CancellationToken ct)
    {
        using var _ = await LockVolumesAsync(machineKey, ct);
        if (VolumeRecordOf(machineKey) is not { } record) return;
        foreach (var bind in record.Binds) await UnmountAllAtAsync(bind.Source, ct);
        // Never recursively: a directory still mounted would take the Volume's files with it.
        foreach (var bind in record.Binds.Where(b => Directory.Exists(b.Source))) Directory.Delete(bind.Source);
        if (Directory.Exists(BindsDirectory(machineKey)) && !Directory.EnumerateFileSystemEntries(BindsDirectory(machineKey)).Any())
            Directory.Delete(BindsDirectory(machineKey));
        File.Delete(VolumeRecordFile(machineKey));
        foreach (var volume in record.Attached) await ReleaseIfUnusedQuietlyAsync(volume.VolumeKey, ct);
    }

    /// <summary>The watcher's version, for a container removed behind the agent's back (docker rm).</summary>
    private async Task ForgetVolumesQuietlyAsync(string machineKey, CancellationToken ct)
    {
        try
        {
            await ForgetVolumesAsync(machineKey, ct);
        }
        catch (Exception e) when (e is DriverException or IOException)
        {
            LogRemountFailed(machineKey, e.Message);
        }
    }

    /// <summary>
    /// At agent start (after a kill -9 or a reboot): records of containers that are gone are forgotten, host
    /// mounts and loop devices no record uses are removed, and what the records say is made true again (host
    /// mounts, binds, live mounts in running containers: the adoption).
    /// </summary>
    private async Task ReconcileVolumesAsync(CancellationToken ct)
    {
        var records = Directory.Exists(VolumeRecordsDirectory)
            ? Directory.EnumerateFiles(VolumeRecordsDirectory, "*.json").Select(ContainerVolumeRecord.Read).OfType<ContainerVolumeRecord>().ToList()
            : [];
        foreach (var record in records.ToList())
        {
            if (await FindAsync(record.MachineKey, ct) is not null) continue;
            await ForgetVolumesAsync(record.MachineKey, ct);
            records.Remove(record);
        }
        await _volumeMounts.ReconcileAsync(records.SelectMany(r => r.Attached.Select(v => v.VolumeKey)).ToHashSet(StringComparer.Ordinal), ct);
        foreach (var record in records)
        {
            try
            {
                foreach (var bind in record.Binds.Where(b => !record.Attached.Any(v => record.BindOf(v) == b))) await ServeBindAsync(bind, null, ct);
                await RemountVolumesAsync(record.MachineKey, ct);
            }
            catch (DriverException e)
            {
                LogRemountFailed(record.MachineKey, e.Message);
            }
        }
    }

    /// <summary>The reconciliation at driver start; a failure must not take the driver away (the containers still
    /// run, and each later start mounts again), so it is logged.</summary>
    private async Task ReconcileVolumesQuietlyAsync(CancellationToken ct)
    {
        try
        {
            await ReconcileVolumesAsync(ct);
        }
        catch (Exception e) when (e is DriverException or IOException or UnauthorizedAccessException)
        {
            LogRemountFailed("(every container)", e.Message);
        }
    }

    /// <summary>A bind directory bound to the Volume's host mount (read-only if the bind is), or, with no host
    /// mount, holding the empty read-only placeholder of a detached Volume.</summary>
    private async Task ServeBindAsync(ContainerBind bind, VolumeMounts.HostMount? host, CancellationToken ct)
    {
        Directory.CreateDirectory(bind.Source);
        var top = MountInfo.Read("/proc/self/mountinfo").LastOrDefault(m => m.MountPoint == bind.Source);
        if (host is not null ? top?.DeviceNumber == host.DeviceNumber && top.FileSystem == "ext4" : top?.FileSystem == "tmpfs") return;
        await UnmountAllAtAsync(bind.Source, ct);
        if (host is null)
        {
            await HostCommand.RunAsync("mount", ["-t", "tmpfs", "-o", "ro,nosuid,nodev,noexec,size=4k,mode=0555", "cimi-detached-volume", bind.Source], ct);
            return;
        }
        await HostCommand.RunAsync("mount", ["--bind", host.MountPoint, bind.Source], ct);
        if (bind.ReadOnly) await HostCommand.RunAsync("mount", ["-o", "remount,bind,ro,nosuid,nodev", bind.Source], ct);
    }

    private static async Task UnmountAllAtAsync(string path, CancellationToken ct)
    {
        while (MountInfo.Read("/proc/self/mountinfo").Any(m => m.MountPoint == path)) await HostCommand.RunAsync("umount", [path], ct);
    }

    /// <summary>The live mount (see the class comment); nothing when the container already has it there.</summary>
    private static async Task MountInContainerAsync(long pid, AttachedVolume volume, VolumeMounts.HostMount host, CancellationToken ct)
    {
        var target = volume.InitialLocation!;
        if (MountInfo.Read($"/proc/{pid}/mountinfo").LastOrDefault(m => m.MountPoint == target)?.DeviceNumber == host.DeviceNumber) return;
        var path = EnsureContainerDirectory(pid, target);
        // The same superblock as the host's, so the same mode; a read-only user gets a read-only view of it.
        await NsenterAsync(pid, ["mount", "-t", "ext4", "-o", (host.ReadOnly ? "ro" : "rw") + ",nosuid,nodev", host.Device, path], ct);
        if (volume.ReadOnly && !host.ReadOnly) await NsenterAsync(pid, ["mount", "-o", "remount,bind,ro,nosuid,nodev", path], ct);
    }

    /// <summary>Every mount of the Volume at its location in the container, removed; a busy one (a process in the
    /// container has a file open there) is an error rather than a lazy unmount that would keep the file system alive.</summary>
    private static async Task UnmountInContainerAsync(long pid, AttachedVolume volume, string deviceNumber, CancellationToken ct)
    {
        var target = volume.InitialLocation!;
        var path = $"/proc/{pid}/root{target}";
        while (MountInfo.Read($"/proc/{pid}/mountinfo").LastOrDefault(m => m.MountPoint == target)?.DeviceNumber == deviceNumber)
        {
            var (code, _, error) = await HostCommand.TryRunAsync("nsenter", ["-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "--root=/", "--", "umount", path], ct);
            if (code != 0) throw new DriverException($"Volume {volume.VolumeKey} cannot be unmounted from {target} in the container (a process there may be using it): {error.Trim()}");
        }
    }

    private static Task<string> NsenterAsync(long pid, IEnumerable<string> command, CancellationToken ct) =>
        HostCommand.RunAsync("nsenter", ["-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "--root=/", "--", .. command], ct);

    /// <summary>
    /// The mount point in the container's filesystem, reached from the host through <c>/proc/PID/root</c> and made
    /// if missing. A symbolic link on the way is refused: the container owns its tree, and a link would send the
    /// directories made here (by root, on the host's side) wherever it points.
    /// </summary>
    private static string EnsureContainerDirectory(long pid, string target)
    {
        var path = $"/proc/{pid}/root";
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            path += "/" + part;
            var info = new DirectoryInfo(path);
            if (info.Exists || File.Exists(path) || info.LinkTarget is not null)
            {
                if (info.LinkTarget is not null) throw new DriverException($"{target} in the container passes a symbolic link ({part}); a volume is mounted on a plain directory.");
                if (!info.Exists) throw new DriverException($"{target} in the container is not a directory ({part} is a file).");
                continue;
            }
            Directory.CreateDirectory(path);
        }
        return path;
    }

    /// <summary>Whether any container record still has the Volume attached.</summary>
    private bool InUse(string volumeKey) =>
        Directory.Exists(VolumeRecordsDirectory)
        && Directory.EnumerateFiles(VolumeRecordsDirectory, "*.json").Select(ContainerVolumeRecord.Read)
            .Any(r => r is not null && r.Attached.Any(v => v.VolumeKey == volumeKey));

    /// <summary>
    /// Releases the host mount once no record uses the Volume. Right after a container is removed its mount namespace
    /// may still hold the file system for a moment (the release refuses: "still mounted elsewhere"), so the release is
    /// tried again for up to <see cref="ReleaseRetryLimit"/>; left to the next agent start's reconciliation, a mount of a
    /// deleted Machine would otherwise stay on the host for as long as the agent runs.
    /// </summary>
    private async Task ReleaseIfUnusedQuietlyAsync(string volumeKey, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ReleaseRetryLimit;
        for (var delay = TimeSpan.FromMilliseconds(100); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks)))
        {
            try
            {
                if (!InUse(volumeKey)) await _volumeMounts.ReleaseAsync(volumeKey, ct);
                return;
            }
            catch (DriverException e) when (DateTime.UtcNow < deadline)
            {
                LogReleaseRetried(volumeKey, e.Message);
            }
            catch (DriverException e)
            {
                // The reconciliation at the next agent start removes it.
                LogReleaseFailed(volumeKey, e.Message);
                return;
            }
            await Task.Delay(delay, ct);
        }
    }

    private static readonly TimeSpan ReleaseRetryLimit = TimeSpan.FromSeconds(20);

    private async Task<IDisposable> LockVolumesAsync(string machineKey, CancellationToken ct)
    {
        var gate = _volumeLocks.GetOrAdd(machineKey, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) gate.Release();
        }
    }

    private static string Hash(string volumeKey) => "v-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volumeKey)))[..20];

    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: Volume {VolumeKey} attached at {Location} (live: {Live})")]
    private partial void LogVolumeAttached(string machineKey, string volumeKey, string location, bool live);

    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: Volume {VolumeKey} detached")]
    private partial void LogVolumeDetached(string machineKey, string volumeKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MachineKey}: could not mount its volumes again: {Error}")]
    private partial void LogRemountFailed(string machineKey, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Volume {VolumeKey}: its host mount cannot be released yet ({Error}); trying again")]
    private partial void LogReleaseRetried(string volumeKey, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume {VolumeKey}: could not release its host mount: {Error}")]
    private partial void LogReleaseFailed(string volumeKey, string error);
}
