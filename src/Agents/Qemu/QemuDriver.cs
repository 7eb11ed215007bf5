using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Protocol;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// Machines as QEMU virtual machines: one daemonized <c>qemu-system-x86_64</c> per running Machine, run as
/// the Machine's own unprivileged uid, controlled over QMP on a unix socket in the Machine's runtime
/// directory (<see cref="MachineDirectory"/>). Everything it reports comes from QEMU and the host: the
/// record and files in that directory, the process its pidfile names, and QMP's status and events; so
/// after an agent restart running VMs are found and adopted, never started twice. docs/QEMU.md.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class QemuDriver(AgentOptions options, QemuDriverOptions qemu, ILogger<QemuDriver> logger,
    Networks.INetworkPlane? networkPlane = null, Volumes.VolumePoolOptions? volumePool = null) : IMachineDriver
{
    public const string DriverName = "qemu";

    private readonly QemuImages _images = new(qemu);
    private readonly SemaphoreSlim _slots = new(1, 1);
    private QemuAccelerator.Choice _accelerator = new("tcg", "not probed");
    private string _version = "";
    private int? _kvmGroup;

    /// <summary>The host's network plane, which makes the VMs' taps (none: this host offers no Networks).</summary>
    private Networks.INetworkPlane? Plane => networkPlane;

    public string Name => DriverName;

    public string StorageDirectory => qemu.RuntimeDirectory;

    public IReadOnlyDictionary<string, string> Labels => new Dictionary<string, string>
    {
        ["qemu.accelerator"] = _accelerator.Accelerator,
        ["qemu.version"] = _version,
    };

    public async Task CheckAvailableAsync(CancellationToken ct)
    {
        _version = QemuAccelerator.VersionOf(await HostCommand.RunAsync(qemu.Binary, ["--version"], ct));
        foreach (var tool in new[] { "qemu-img", "genisoimage", "setpriv" }) await HostCommand.RunAsync(tool, ["--version"], ct);
        if (!Environment.IsPrivilegedProcess)
            throw new DriverException("the QEMU driver runs every VM as a uid of its own (CIMI_AGENT_QEMU_UID_BASE), which needs the agent to run as root.");
        _accelerator = QemuAccelerator.Choose(qemu.Acceleration);
        if (_accelerator.Accelerator == "kvm")
            _kvmGroup = int.Parse((await HostCommand.RunAsync("stat", ["-c", "%g", "/dev/kvm"], ct)).Trim(), CultureInfo.InvariantCulture);
        PrepareDirectory("CIMI_AGENT_QEMU_DIR", qemu.RuntimeDirectory, Traversable);
        PrepareDirectory("CIMI_AGENT_QEMU_IMAGES", qemu.ImagesDirectory, Traversable | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        if (volumePool is not null)
        {
            PreparePool(volumePool.Directory);
            await ReturnUnheldVolumesAsync(volumePool.Directory, ct);
        }
        // QMP sockets live in the runtime directory, and a unix socket path has at most 107 bytes.
        if (MachineDirectory.For(qemu.RuntimeDirectory, "x").Qmp.Length > 100)
            throw new DriverException($"CIMI_AGENT_QEMU_DIR={qemu.RuntimeDirectory} is too long for the VMs' QMP socket paths: use a shorter directory.");
        LogAccelerator(_accelerator.Accelerator, _accelerator.Reason, _version);
        // Running VMs keep their taps open; each is made sure to be on its bridge again (the adoption).
        await AdoptTapsAsync(ct);
    }

    private const UnixFileMode Traversable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>
    /// Creates the directory, and checks that the VMs' users can reach it: they open their own files and
    /// the images by path, so every directory above must let others pass (x). Paths are kept to a plain
    /// character set because they appear in QEMU's option syntax and in the migration commands.
    /// </summary>
    private static void PrepareDirectory(string setting, string path, UnixFileMode mode)
    {
        if (!SafePath().IsMatch(path))
            throw new DriverException($"{setting}={path}: use a path of letters, digits, '.', '_', '-' and '/' only.");
        if (!Directory.Exists(path)) Directory.CreateDirectory(path, mode);
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | mode);
        RequireReachable(setting, path, "Put the QEMU directories under a path such as /var/lib/cimigrains.");
    }

    /// <summary>
    /// The volume pool as the VMs need it: a VM opens an attached Volume's file by path as its own uid, so the pool's
    /// directory lets others pass, and only pass (mode 0711: x without r, so no VM lists the pool; w only for the
    /// agent), and so must every directory above it. One the agent cannot make passable here (its default place, the
    /// agent's state directory, is often under a home directory others may not enter) makes the driver unavailable
    /// with the directory named, rather than every attach of a local Volume failing later with a bare
    /// "Permission denied" from QEMU.
    /// </summary>
    private static void PreparePool(string path)
    {
        if (!SafePath().IsMatch(path))
            throw new DriverException($"CIMI_AGENT_VOLUME_POOL={path}: VMs open Volumes by this path, so use one of letters, digits, '.', '_', '-' and '/' only.");
        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(path, (File.GetUnixFileMode(path) & ~others) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        RequireReachable("CIMI_AGENT_VOLUME_POOL", path,
            "Set CIMI_AGENT_VOLUME_POOL to a directory under a path every user may pass, such as /var/lib/cimigrains/volumes.");
    }

    /// <summary>Fails, naming the first directory above <paramref name="path"/> that does not let others pass (o+x).</summary>
    private static void RequireReachable(string setting, string path, string advice)
    {
        for (var parent = Path.GetDirectoryName(path); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            if ((File.GetUnixFileMode(parent) & UnixFileMode.OtherExecute) == 0)
                throw new DriverException($"{setting}={path} is not reachable by the VMs' unprivileged users: {parent} does not let others pass (mode o+x). " +
                    advice);
        }
    }

    [GeneratedRegex("^/[A-Za-z0-9/._-]*$")]
    private static partial Regex SafePath();

    private MachineDirectory DirectoryOf(string machineKey) => MachineDirectory.For(qemu.RuntimeDirectory, machineKey);

    /// <summary>This host's record in the directory, or null; another host's record is refused (runtime
    /// directories may be shared by agents of several host ids only by mistake, and never silently).</summary>
    private MachineRecord? OwnRecord(MachineDirectory directory)
    {
        var record = directory.Record;
        if (record is not null && record.HostId != options.HostId)
            throw new DriverException($"The VM directory {directory.Path} belongs to host '{record.HostId}', not '{options.HostId}'.");
        return record;
    }

    private (MachineDirectory Directory, MachineRecord Record) Require(string machineKey)
    {
        var directory = DirectoryOf(machineKey);
        var record = OwnRecord(directory);
        if (record is null) throw new DriverException($"Host '{options.HostId}' has no VM for {machineKey}.");
        if (!record.Complete) throw new DriverException($"The VM of {machineKey} was only half made (the agent stopped during its create); create it again or delete it.");
        return (directory, record);
    }

    public async Task<IReadOnlyList<WorkloadStatus>> ListAsync(CancellationToken ct)
    {
        var all = new List<WorkloadStatus>();
        if (!Directory.Exists(qemu.RuntimeDirectory)) return all;
        foreach (var path in Directory.EnumerateDirectories(qemu.RuntimeDirectory, MachineDirectory.Prefix + "*"))
        {
            // The record is written before the directory and removed before it: a directory without one is
            // what a delete cut short left behind.
            if (!File.Exists(path + ".json")) Directory.Delete(path, recursive: true);
        }
        foreach (var file in Directory.EnumerateFiles(qemu.RuntimeDirectory, MachineDirectory.Prefix + "*.json"))
        {
            var record = MachineRecord.Read(file);
            if (record is null || record.HostId != options.HostId) continue;
            all.Add(await InspectAsync(record.MachineKey, ct));
        }
        return all;
    }

    /// <summary>What the VM is (<see cref="InspectAsync"/> adds its Volumes).</summary>
    private async Task<WorkloadStatus> InspectMachineAsync(string machineKey, CancellationToken ct)
    {
        var directory = DirectoryOf(machineKey);
        var record = OwnRecord(directory);
        if (record is null) return WorkloadStatus.Absent(machineKey);
        if (!record.Complete)
            return new(machineKey, record.Generation, ObservedState.Failed, directory.Name, "The VM was only half made (the agent stopped during its create).");
        if (QemuProcess.Find(directory) is { } pid)
        {
            var status = await RunStatusAsync(machineKey, directory, pid, ct);
            if (status is null) return new(machineKey, record.Generation, ObservedState.Stopped, directory.Name, "The QEMU process exited.");
            return new(machineKey, record.Generation, status == "running" ? ObservedState.Running : ObservedState.Paused, directory.Name,
                $"QEMU pid {pid}: {status}");
        }
        if (File.Exists(directory.SuspendedState))
            return new(machineKey, record.Generation, ObservedState.Stopped, directory.Name, "Suspended: the guest's memory and devices are saved on disk.");
        return record.Started
            ? new(machineKey, record.Generation, ObservedState.Stopped, directory.Name, "No QEMU process is running.")
            : new(machineKey, record.Generation, ObservedState.Created, directory.Name, null);
    }

    public async Task<WorkloadStatus> CreateAsync(string machineKey, long generation, WorkloadSpec spec, CancellationToken ct)
    {
        var directory = DirectoryOf(machineKey);
        if (OwnRecord(directory) is { } existing)
        {
            if (existing.Generation > generation || existing.Generation == generation && existing.Complete)
            {
                // A repeated (or overtaken) create: the VM that exists is the answer, running if the create starts it. Started
                // does not say it ran: the first launch records it before QEMU runs, and a session that ends (a silo killed)
                // cancels that launch, so the repeat the cluster sends then finds a VM Started and never running.
                // Only the same create repeated: an overtaken one must not start a VM a later operation stopped.
                if (spec.Start && existing.Generation == generation && existing.Complete && QemuProcess.Find(directory) is null)
                    return await StartAsync(machineKey, ct);
                return await InspectAsync(machineKey, ct);
            }
            LogReplacing(machineKey, existing.Generation, generation, existing.Complete);
            await RemoveAsync(machineKey, directory, ct);
        }
        else if (directory.Exists)
        {
            await RemoveAsync(machineKey, directory, ct);
        }

        // The image is checked before anything is made: a bad image leaves nothing behind.
        var image = await _images.ResolveAsync(spec.ImageLocation, ct);
        var disks = (spec.Disks ?? []).Select((d, i) => new RecordedDisk($"disk-{i}.qcow2", d.CapacityKiB)).ToList();
        var volumes = VolumesAtCreate(spec.Volumes);
        var nics = NetworkInterfacesAtCreate(machineKey, spec.NetworkInterfaces);
        var record = new MachineRecord
        {
            MachineKey = machineKey, Generation = generation, TenantId = spec.TenantId, HostId = options.HostId,
            Image = spec.ImageLocation, Cpu = spec.Cpu, MemoryKiB = spec.MemoryKiB, UidSlot = 0,
            BaseDisk = image.Disk, BaseDiskFormat = image.DiskFormat, Kernel = image.Kernel, Initrd = image.Initrd, Cmdline = image.Cmdline,
            Disks = disks, VolumeSlots = VolumeSlotCount, Volumes = volumes, NetworkSlots = NetworkSlotCount, NetworkInterfaces = nics,
        };
        await _slots.WaitAsync(ct);
        try
        {
            // Recorded before the directory exists: a Machine directory always has its record.
            record = record with { UidSlot = FreeSlot() };
            record.Write(directory.RecordFile);
            Directory.CreateDirectory(directory.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        finally
        {
            _slots.Release();
        }
        try
        {
            if (image.Disk is not null)
            {
                // Copy-on-write over the image: the create copies nothing.
                await HostCommand.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", "-b", image.Disk, "-F", image.DiskFormat!, directory.Overlay], ct);
            }
            foreach (var disk in disks)
            {
                await HostCommand.RunAsync("qemu-img",
                    ["create", "-q", "-f", "qcow2", Path.Combine(directory.Path, disk.File), $"{Math.Max(1, disk.CapacityKiB)}K"], ct);
            }
            // The seed's network-config names the interfaces as checked (their names in the guest).
            await NoCloudSeed.WriteIsoAsync(directory.Seed, machineKey, spec with { NetworkInterfaces = nics.Select(n => n.Interface).ToList() }, ct);
            var uid = UidOf(record).ToString(CultureInfo.InvariantCulture);
            await HostCommand.RunAsync("chown", ["-R", $"{uid}:{uid}", directory.Path], ct);
            File.SetUnixFileMode(directory.Seed, UnixFileMode.UserRead);
            foreach (var volume in volumes) await GrantVolumeAsync(record, volume, ct);
            (record with { Complete = true }).Write(directory.RecordFile);
        }
        catch (Exception e) when (e is DriverException or IOException or UnauthorizedAccessException)
        {
            await RemoveAsync(machineKey, directory, CancellationToken.None);
            throw new DriverException($"Creating the VM of {machineKey} failed: {e.Message}", e);
        }
        LogCreated(machineKey, generation, spec.ImageLocation, UidOf(record));
        var created = spec.Start ? await StartAsync(machineKey, ct) : await InspectAsync(machineKey, ct);
        // The VM runs and the cluster has no answer yet: where SystemCrashRigTests kills the agent (docs/SYSTEMS.md, "Crashes").
        await TestPause.AtAsync("qemu-create:started", ct);
        return created;
    }

    private int UidOf(MachineRecord record) => qemu.UidBase + record.UidSlot;

    /// <summary>The lowest uid slot no Machine directory here records (whatever host id: they share the uids).</summary>
    private int FreeSlot()
    {
        var used = Directory.EnumerateFiles(qemu.RuntimeDirectory, MachineDirectory.Prefix + "*.json")
            .Select(MachineRecord.Read).Where(r => r is not null).Select(r => r!.UidSlot).ToHashSet();
        var slot = 0;
        while (used.Contains(slot)) slot++;
        return slot;
    }

    public async Task DeleteAsync(string machineKey, CancellationToken ct)
    {
        var directory = DirectoryOf(machineKey);
        OwnRecord(directory);
        await RemoveAsync(machineKey, directory, ct);
    }

    /// <summary>The VM's process (killed: its disks are about to go), its monitor connection and its directory.</summary>
    private async Task RemoveAsync(string machineKey, MachineDirectory directory, CancellationToken ct)
    {
        if (QemuProcess.Find(directory) is { } pid) await QemuProcess.KillAsync(pid, directory, ct);
        // The VM is gone but its taps, Volumes and directory are not: where SystemCrashRigTests kills the agent.
        await TestPause.AtAsync("qemu-remove:killed", ct);
        await ForgetMonitorAsync(directory);
        foreach (var volume in directory.Record?.Volumes ?? []) await ReturnVolumeQuietlyAsync(directory, volume);
        await UnplugTapsQuietlyAsync(directory.Record);
        // The record first: a directory left without one (a crash in between) is removed by the next list.
        File.Delete(directory.RecordFile);
        if (directory.Exists) Directory.Delete(directory.Path, recursive: true);
        LogRemoved(machineKey);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "QEMU {Version}: guests run under {Accelerator} ({Reason})")]
    private partial void LogAccelerator(string accelerator, string reason, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replacing the VM of {MachineKey}: generation {Old} (complete: {Complete}) gives way to {New}")]
    private partial void LogReplacing(string machineKey, long old, long @new, bool complete);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the VM of {MachineKey} (generation {Generation}) from {Image}, uid {Uid}")]
    private partial void LogCreated(string machineKey, long generation, string image, int uid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the VM of {MachineKey}")]
    private partial void LogRemoved(string machineKey);
}
