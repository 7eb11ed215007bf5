using System.Globalization;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Protocol;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// Volumes in VMs (docs/VOLUMES.md, "Attaching on the host"): each a virtio-blk disk whose serial is the
/// Volume's id, on a PCIe root port of its own (q35's root bus takes no hot-plug, a root port does). The
/// attachments are in the Machine's record, so every launch (start, restart, restore of a suspended VM) puts
/// them on the command line where a hot-plug put them; a running or paused VM gets them over QMP at once
/// (<c>blockdev-add</c> for the file and the format node, then <c>device_add</c>) and loses them the same way
/// (<c>device_del</c>, the guest's release awaited, then <c>blockdev-del</c>). QEMU runs as the VM's own uid,
/// so the Volume's file is handed to that uid while attached and back to root when detached.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class QemuDriver
{
    /// <summary>Root ports every new VM gets for Volumes: the most Volumes one VM takes at once.</summary>
    public const int VolumeSlotCount = 8;

    public async Task<WorkloadStatus> InspectAsync(string machineKey, CancellationToken ct)
    {
        var status = await InspectMachineAsync(machineKey, ct);
        if (status.State == ObservedState.Absent || OwnRecord(DirectoryOf(machineKey)) is not { } record) return status;
        return status with
        {
            Volumes = record.Volumes.Select(v => v.VolumeKey).ToList(),
            NetworkInterfaces = record.NetworkInterfaces.Select(n => n.Interface.InterfaceId).ToList(),
        };
    }

    /// <summary>The Volumes named at create, on the first root ports.</summary>
    private static List<RecordedVolume> VolumesAtCreate(IReadOnlyList<AttachedVolume>? volumes)
    {
        var wanted = volumes ?? [];
        if (wanted.Count > VolumeSlotCount) throw new DriverException($"A VM takes at most {VolumeSlotCount} volumes; {wanted.Count} were named.");
        if (wanted.GroupBy(v => v.VolumeKey).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new DriverException($"Volume {twice.Key} is named twice for one Machine.");
        return wanted.Select((v, slot) => Recorded(v, slot)).ToList();
    }

    private static RecordedVolume Recorded(AttachedVolume volume, int slot)
    {
        if (volume.Format.ToLowerInvariant() is not ("ext4" or "raw" or "qcow2"))
            throw new DriverException($"Volume {volume.VolumeKey} has format '{volume.Format}', which QEMU is not given (ext4, raw and qcow2 are).");
        if (volume.Path is null && (volume.NbdAddress is null || volume.NbdExport is null || !volume.NbdAddress.Contains(':')
            || volume.NbdIdentity is null || volume.NbdPsk is null))
            throw new DriverException($"Volume {volume.VolumeKey} is neither in this host's pool nor reachable over NBD (host:port, an export and its TLS key).");
        if (volume.Path is null && (!volume.NbdIdentity!.All(char.IsAsciiLetterOrDigit) || !volume.NbdPsk!.All(char.IsAsciiHexDigit)))
            throw new DriverException($"Volume {volume.VolumeKey}: the NBD identity must be letters and digits and the key hex.");
        return new RecordedVolume(volume.VolumeKey, volume.Path, volume.Format.ToLowerInvariant(), volume.ReadOnly, slot,
            volume.Path is null ? volume.NbdAddress : null, volume.Path is null ? volume.NbdExport : null,
            volume.Path is null ? volume.NbdIdentity : null, volume.Path is null ? volume.NbdPsk : null);
    }

    public async Task<WorkloadStatus> AttachVolumeAsync(string machineKey, AttachedVolume volume, CancellationToken ct)
    {
        var (directory, record) = Require(machineKey);
        var pid = QemuProcess.Find(directory);
        var attached = record.Volumes.FirstOrDefault(v => v.VolumeKey == volume.VolumeKey);
        var added = attached is null;
        if (attached is not null)
        {
            if (attached.ReadOnly != volume.ReadOnly)
                throw new DriverException($"Volume {volume.VolumeKey} is already attached to {machineKey}{(attached.ReadOnly ? " read-only" : " read-write")}; detach it first.");
        }
        else
        {
            if (record.VolumeSlots == 0)
            {
                // A VM made before Volumes has no root ports; they can be added only while no process or saved state
                // holds its device tree.
                if (pid is not null || File.Exists(directory.SuspendedState))
                    throw new DriverException($"The VM of {machineKey} was made without ports for volumes; stop it (a restart is not enough) and attach again.");
                record = record with { VolumeSlots = VolumeSlotCount };
            }
            var used = record.Volumes.Select(v => v.Slot).ToHashSet();
            var slot = Enumerable.Range(0, record.VolumeSlots).Where(s => !used.Contains(s)).Cast<int?>().FirstOrDefault()
                ?? throw new DriverException($"The VM of {machineKey} has {record.VolumeSlots} volumes attached, the most it takes.");
            attached = Recorded(volume, slot);
            // Recorded first: whatever a crash leaves, the next launch and the inventory follow the record.
            record = record with { Volumes = [.. record.Volumes, attached] };
            record.Write(directory.RecordFile);
        }
        try
        {
            await TestPause.AtAsync("qemu-attach-volume:recorded", ct);
            await GrantVolumeAsync(record, attached, ct);
            if (pid is { } running)
            {
                if (await RunStatusAsync(machineKey, directory, running, ct) == "inmigrate")
                    throw new DriverException($"The VM of {machineKey} is being restored from its saved state; attach again once it runs.");
                await HotPlugAsync(machineKey, directory, running, attached, ct);
            }
        }
        catch (DriverException) when (added)
        {
            // What the hot-plug got as far as making goes too: a node left behind would be taken, by its name, for
            // the next Volume on this port.
            if (pid is { } running && QemuProcess.IsQemuOf(running, directory))
            {
                try
                {
                    await UnplugAsync(machineKey, directory, running, attached, CancellationToken.None);
                }
                catch (DriverException e)
                {
                    LogHotPlugUndoFailed(machineKey, volume.VolumeKey, e.Message);
                }
            }
            (record with { Volumes = record.Volumes.Where(v => v.VolumeKey != volume.VolumeKey).ToList() }).Write(directory.RecordFile);
            await ReturnVolumeQuietlyAsync(directory, attached);
            throw;
        }
        LogVolumeAttached(machineKey, volume.VolumeKey, attached.Slot, pid is not null);
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> DetachVolumeAsync(string machineKey, string volumeKey, CancellationToken ct)
    {
        var (directory, record) = Require(machineKey);
        if (record.Volumes.FirstOrDefault(v => v.VolumeKey == volumeKey) is not { } attached) return await InspectAsync(machineKey, ct);
        if (QemuProcess.Find(directory) is { } pid) await UnplugAsync(machineKey, directory, pid, attached, ct);
        await TestPause.AtAsync("qemu-detach-volume:unplugged", ct);
        (record with { Volumes = record.Volumes.Where(v => v.VolumeKey != volumeKey).ToList() }).Write(directory.RecordFile);
        await ReturnVolumeQuietlyAsync(directory, attached);
        LogVolumeDetached(machineKey, volumeKey);
        return await InspectAsync(machineKey, ct);
    }

    /// <summary>The Volume's nodes and device in the running VM; each step skipped when QEMU already has it (a
    /// repeated attach, or one cut short by a crash).</summary>
    private async Task HotPlugAsync(string machineKey, MachineDirectory directory, int pid, RecordedVolume volume, CancellationToken ct)
    {
        var nodes = await BlockNodesAsync(machineKey, directory, pid, ct);
        if (volume.Path is null && !await HasObjectAsync(machineKey, directory, pid, volume.TlsObject, ct))
        {
            await QmpExecuteAsync(machineKey, directory, pid, "object-add", new JsonObject
            {
                ["qom-type"] = "tls-creds-psk", ["id"] = volume.TlsObject, ["endpoint"] = "client",
                ["dir"] = volume.TlsDirectory(directory), ["username"] = volume.NbdIdentity,
            }, ct);
        }
        if (!nodes.Contains(volume.FileNode))
        {
            var file = volume.Path is not null
                ? new JsonObject { ["driver"] = "file", ["filename"] = volume.Path }
                : new JsonObject
                {
                    ["driver"] = "nbd",
                    ["server"] = new JsonObject { ["type"] = "inet", ["host"] = QemuCommandLine.NbdHost(volume.NbdAddress!), ["port"] = QemuCommandLine.NbdPort(volume.NbdAddress!) },
                    ["export"] = volume.NbdExport,
                    ["tls-creds"] = volume.TlsObject,
                };
            file["node-name"] = volume.FileNode;
            file["read-only"] = volume.ReadOnly;
            await AddFileNodeAsync(machineKey, directory, pid, volume, file, ct);
        }
        if (!nodes.Contains(volume.FormatNode))
        {
            await QmpExecuteAsync(machineKey, directory, pid, "blockdev-add", new JsonObject
            {
                ["driver"] = volume.Driver, ["file"] = volume.FileNode, ["node-name"] = volume.FormatNode, ["read-only"] = volume.ReadOnly,
            }, ct);
        }
        await TestPause.AtAsync("qemu-attach-volume:nodes-added", ct);
        if (!await HasDeviceAsync(machineKey, directory, pid, volume.Device, ct))
        {
            await QmpExecuteAsync(machineKey, directory, pid, "device_add", new JsonObject
            {
                ["driver"] = "virtio-blk-pci", ["drive"] = volume.FormatNode, ["id"] = volume.Device, ["serial"] = volume.Serial, ["bus"] = volume.Port,
            }, ct);
        }
    }

    /// <summary>
    /// The device removed and its nodes deleted. <c>device_del</c> only asks the guest; the device is gone when
    /// QEMU no longer lists it among its peripherals (what its DEVICE_DELETED event announces), and only then may
    /// its nodes go. A guest that does not let go in time (paused, or not listening) fails the detach.
    /// </summary>
    private async Task UnplugAsync(string machineKey, MachineDirectory directory, int pid, RecordedVolume volume, CancellationToken ct)
    {
        await UnplugDeviceAsync(machineKey, directory, pid, volume.Device, $"Volume {volume.VolumeKey}", "It stays attached.", ct);
        await TestPause.AtAsync("qemu-detach-volume:device-deleted", ct);
        var nodes = await BlockNodesAsync(machineKey, directory, pid, ct);
        if (nodes.Contains(volume.FormatNode)) await DeleteNodeAsync(machineKey, directory, pid, volume.FormatNode, ct);
        if (nodes.Contains(volume.FileNode)) await DeleteNodeAsync(machineKey, directory, pid, volume.FileNode, ct);
        if (volume.Path is null && await HasObjectAsync(machineKey, directory, pid, volume.TlsObject, ct))
            await QmpExecuteAsync(machineKey, directory, pid, "object-del", new JsonObject { ["id"] = volume.TlsObject }, ct);
    }

    /// <summary>How long a node still held by a device that has just left the guest is waited for.</summary>
    private static readonly TimeSpan NodeReleaseWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>blockdev-del</c> of one node. A device leaves QEMU's peripherals before it lets go of its drive (the device
    /// object is finalized a moment later, later still on a loaded host), so "is in use" right after the unplug is
    /// waited out, within <see cref="NodeReleaseWait"/>; anything else fails at once.
    /// </summary>
    private async Task DeleteNodeAsync(string machineKey, MachineDirectory directory, int pid, string node, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + NodeReleaseWait;
        while (true)
        {
            try
            {
                await QmpExecuteAsync(machineKey, directory, pid, "blockdev-del", new JsonObject { ["node-name"] = node }, ct);
                return;
            }
            catch (DriverException e) when (e.Message.Contains("is in use", StringComparison.OrdinalIgnoreCase) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>How long a hot-plug over NBD keeps trying while the owning host's export is not up yet: the cluster tells
    /// that host to serve the Volume just before it tells this one to attach it, and the two agents do not wait on each other.</summary>
    private static readonly TimeSpan ExportWait = TimeSpan.FromSeconds(15);

    private async Task AddFileNodeAsync(string machineKey, MachineDirectory directory, int pid, RecordedVolume volume, JsonObject file, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + ExportWait;
        while (true)
        {
            try
            {
                await QmpExecuteAsync(machineKey, directory, pid, "blockdev-add", (JsonObject)file.DeepClone(), ct);
                return;
            }
            catch (DriverException e) when (volume.Path is null && DateTime.UtcNow < deadline &&
                e.Message.Contains("Connection refused", StringComparison.OrdinalIgnoreCase))
            {
                await Task.Delay(500, ct);
            }
        }
    }

    /// <summary>
    /// Before a launch, each Volume over NBD listening, for up to <see cref="ExportWait"/> each (as a hot-plug
    /// retries): QEMU gives up on a refused connection at once and the VM would not start at all, and a create that
    /// names a Volume of another host is sent while that host is still starting its export. A TCP connect is
    /// enough (the export's TLS handshake is QEMU's); an export still not listening is left for QEMU to report.
    /// </summary>
    private static async Task WaitForExportsAsync(MachineRecord record, CancellationToken ct)
    {
        foreach (var volume in record.Volumes.Where(v => v.Path is null && v.NbdAddress is not null))
        {
            var (host, port) = (QemuCommandLine.NbdHost(volume.NbdAddress!), int.Parse(QemuCommandLine.NbdPort(volume.NbdAddress!), CultureInfo.InvariantCulture));
            var deadline = DateTime.UtcNow + ExportWait;
            while (true)
            {
                using var probe = new System.Net.Sockets.TcpClient();
                try
                {
                    await probe.ConnectAsync(host, port, ct);
                    break;
                }
                catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(500, ct);
                }
                catch (System.Net.Sockets.SocketException)
                {
                    break;
                }
            }
        }
    }

    private async Task<bool> HasObjectAsync(string machineKey, MachineDirectory directory, int pid, string id, CancellationToken ct)
    {
        var children = await QmpExecuteAsync(machineKey, directory, pid, "qom-list", new JsonObject { ["path"] = "/objects" }, ct);
        return (children as JsonArray ?? []).Any(c => c?["name"]?.GetValue<string>() == id);
    }

    private async Task<HashSet<string>> BlockNodesAsync(string machineKey, MachineDirectory directory, int pid, CancellationToken ct)
    {
        var nodes = await QmpExecuteAsync(machineKey, directory, pid, "query-named-block-nodes", new JsonObject { ["flat"] = true }, ct);
        return (nodes as JsonArray ?? []).Select(n => n?["node-name"]?.GetValue<string>()).OfType<string>().ToHashSet(StringComparer.Ordinal);
    }

    private async Task<bool> HasDeviceAsync(string machineKey, MachineDirectory directory, int pid, string id, CancellationToken ct)
    {
        var children = await QmpExecuteAsync(machineKey, directory, pid, "qom-list", new JsonObject { ["path"] = "/machine/peripheral" }, ct);
        return (children as JsonArray ?? []).Any(c => c?["name"]?.GetValue<string>() == id);
    }

    /// <summary>The Volume's file handed to the VM's uid, which QEMU opens it as (at launch and at hot-plug).</summary>
    private async Task GrantVolumeAsync(MachineRecord record, RecordedVolume volume, CancellationToken ct)
    {
        var uid = UidOf(record).ToString(CultureInfo.InvariantCulture);
        if (volume.Path is not null)
        {
            await HostCommand.RunAsync("chown", [$"{uid}:{uid}", volume.Path], ct);
            return;
        }
        // Over NBD: the key file QEMU (as the VM's uid) reads when it makes the TLS credentials, readable by that uid alone.
        var keys = volume.TlsDirectory(DirectoryOf(record.MachineKey));
        Directory.CreateDirectory(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var file = Path.Combine(keys, "keys.psk");
        await File.WriteAllTextAsync(file + ".tmp", $"{volume.NbdIdentity}:{volume.NbdPsk}\n", ct);
        File.SetUnixFileMode(file + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(file + ".tmp", file, overwrite: true);
        await HostCommand.RunAsync("chown", ["-R", $"{uid}:{uid}", keys], ct);
    }

    /// <summary>The Volume's file back to root once no VM uses it (a failure is logged: the pool can still use it as root).</summary>
    private async Task ReturnVolumeQuietlyAsync(MachineDirectory directory, RecordedVolume volume)
    {
        if (volume.Path is null)
        {
            // Over NBD: its key goes with it.
            var keys = volume.TlsDirectory(directory);
            if (Directory.Exists(keys)) Directory.Delete(keys, recursive: true);
            return;
        }
        if (!File.Exists(volume.Path)) return;
        // Another VM of this host attaching it too (read-only sharing) keeps it: the file is 0600, so a VM whose uid
        // does not own it could not open it again (a restart, a restore).
        var holder = HoldersOf(volume.Path).FirstOrDefault(r => r.MachineKey != directory.Record?.MachineKey);
        var owner = holder is null ? "0:0" : $"{UidOf(holder)}:{UidOf(holder)}";
        var (code, _, error) = await HostCommand.TryRunAsync("chown", [owner, volume.Path], CancellationToken.None);
        if (code != 0) LogVolumeReturnFailed(volume.VolumeKey, error.Trim());
    }

    /// <summary>This host's VM records that attach the pool file <paramref name="path"/>.</summary>
    private IEnumerable<MachineRecord> HoldersOf(string path) => OwnRecords().Where(r => r.Volumes.Any(v => v.Path == path));

    private IEnumerable<MachineRecord> OwnRecords() => !Directory.Exists(qemu.RuntimeDirectory) ? []
        : Directory.EnumerateFiles(qemu.RuntimeDirectory, MachineDirectory.Prefix + "*.json")
            .Select(MachineRecord.Read).OfType<MachineRecord>().Where(r => r.HostId == options.HostId);

    /// <summary>
    /// At agent start: every file of the pool that no VM record attaches goes back to root. A kill -9 between a
    /// record's rewrite (a detach, an attach undone) and the <c>chown</c> back leaves a file owned by a
    /// VM's uid; that uid is reused by the next VM given its slot, which must not be able to open it.
    /// </summary>
    private async Task ReturnUnheldVolumesAsync(string pool, CancellationToken ct)
    {
        if (!Directory.Exists(pool)) return;
        var held = OwnRecords().SelectMany(r => r.Volumes).Select(v => v.Path).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var unheld = Directory.EnumerateFiles(pool, "*.volume").Where(f => !held.Contains(f)).ToList();
        if (unheld.Count == 0) return;
        // Root's already for most: chown then changes nothing.
        var (code, _, error) = await HostCommand.TryRunAsync("chown", ["0:0", "--", .. unheld], ct);
        if (code != 0) LogVolumeReturnFailed(pool, error.Trim());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: Volume {VolumeKey} attached on port {Slot} (live: {Live})")]
    private partial void LogVolumeAttached(string machineKey, string volumeKey, int slot, bool live);

    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: Volume {VolumeKey} detached")]
    private partial void LogVolumeDetached(string machineKey, string volumeKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MachineKey}: what a failed hot-plug of Volume {VolumeKey} made could not be removed: {Error}")]
    private partial void LogHotPlugUndoFailed(string machineKey, string volumeKey, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume {VolumeKey}: its file could not be given back to root: {Error}")]
    private partial void LogVolumeReturnFailed(string volumeKey, string error);
}
