using System.Text.Json.Nodes;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Networks;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// CIMI network interfaces in VMs (docs/NETWORKS.md, "Drivers"): each a tap that the host's network plane makes on
/// the Network's bridge, owned by the VM's uid (<see cref="INetworkPlane.CreateTapAsync"/>), opened by QEMU as
/// <c>-netdev tap</c> and shown to the guest as a virtio-net device with the interface's MAC, on a PCIe root port of
/// its own so that it can be hot-plugged. The interfaces are in the Machine's record, so every launch (start,
/// restart, restore of a suspended VM) asks the plane for the taps again and puts them on the command line; a
/// running VM gets one over QMP (<c>netdev_add</c>, <c>device_add</c>) and loses it the same way (<c>device_del</c>,
/// the guest's release awaited, <c>netdev_del</c>). The guest learns its addresses from the seed's
/// <c>network-config</c> (<see cref="NoCloudSeed.NetworkConfig"/>), written again whenever the interfaces change.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class QemuDriver
{
    /// <summary>Root ports every new VM gets for network interfaces: the most one VM takes at once.</summary>
    public const int NetworkSlotCount = MachineNetworkInterfaces.MaxPerMachine;

    private const string TunDevice = "/dev/net/tun";

    /// <summary>The interfaces named at create, on the first root ports (no tap yet: the first launch asks for them).</summary>
    private List<RecordedNetworkInterface> NetworkInterfacesAtCreate(string machineKey, IReadOnlyList<NetworkPlaneInterface>? nics)
    {
        var wanted = MachineNetworkInterfaces.CheckedAll(nics);
        MachineNetworkInterfaces.RequirePlane(Plane, machineKey, wanted.Count);
        return wanted.Select((n, slot) => new RecordedNetworkInterface(n, slot)).ToList();
    }

    /// <summary>Before a launch: the tap of every interface from the plane (made again if a reboot or a reconciliation
    /// took it), recorded when its name changed. The record is returned as the launch must use it.</summary>
    private async Task<MachineRecord> PrepareTapsAsync(string machineKey, MachineDirectory directory, MachineRecord record, CancellationToken ct)
    {
        if (record.NetworkInterfaces.Count == 0) return record;
        // The record on disk is the one to update: the caller's copy may predate a change it wrote (Started).
        record = OwnRecord(directory) ?? record;
        MachineNetworkInterfaces.RequirePlane(Plane, machineKey, record.NetworkInterfaces.Count);
        EnsureTunOpenable();
        var taps = new List<RecordedNetworkInterface>();
        foreach (var nic in record.NetworkInterfaces) taps.Add(nic with { Tap = await Plane!.CreateTapAsync(nic.Interface, UidOf(record), ct) });
        if (taps.SequenceEqual(record.NetworkInterfaces)) return record;
        record = record with { NetworkInterfaces = taps };
        record.Write(directory.RecordFile);
        return record;
    }

    /// <summary>
    /// QEMU opens its taps itself, as the VM's unprivileged uid, through the tun device: the kernel lets a uid open
    /// only a tap it owns (which is what keeps one VM off another's), so the device itself is for everyone, as
    /// distributions' udev rules make it (mode 0666). A host with a stricter mode gets that one.
    /// </summary>
    private void EnsureTunOpenable()
    {
        const UnixFileMode everyone = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        if (!File.Exists(TunDevice)) throw new DriverException($"{TunDevice} is missing: this host's kernel offers no taps for VMs' network interfaces (modprobe tun).");
        if ((File.GetUnixFileMode(TunDevice) & everyone) == everyone) return;
        File.SetUnixFileMode(TunDevice, everyone);
        LogTunOpened(TunDevice);
    }

    public async Task<WorkloadStatus> AttachNetworkInterfaceAsync(string machineKey, NetworkPlaneInterface nic, CancellationToken ct)
    {
        MachineNetworkInterfaces.RequirePlane(Plane, machineKey, 1);
        var (directory, record) = Require(machineKey);
        var pid = QemuProcess.Find(directory);
        var attached = record.NetworkInterfaces.FirstOrDefault(n => n.Interface.InterfaceId == nic.InterfaceId);
        var added = attached is null;
        if (attached is not null)
        {
            if (attached.Interface.NetworkId != nic.NetworkId || attached.Interface.Mac != nic.Mac)
                throw new DriverException($"Network interface {nic.InterfaceId} is already plugged into {machineKey} on Network {attached.Interface.NetworkId} with MAC {attached.Interface.Mac}; detach it first.");
        }
        else
        {
            if (record.NetworkSlots == 0)
            {
                // A VM made before Networks has no root ports for them; they can be added only while no process or saved
                // state holds its device tree.
                if (pid is not null || File.Exists(directory.SuspendedState))
                    throw new DriverException($"The VM of {machineKey} was made without ports for network interfaces; stop it (a restart is not enough) and attach again.");
                record = record with { NetworkSlots = NetworkSlotCount };
            }
            var used = record.NetworkInterfaces.Select(n => n.Slot).ToHashSet();
            var slot = Enumerable.Range(0, record.NetworkSlots).Where(s => !used.Contains(s)).Cast<int?>().FirstOrDefault()
                ?? throw new DriverException($"The VM of {machineKey} has {record.NetworkSlots} network interfaces, the most it takes.");
            var named = nic with { Name = MachineNetworkInterfaces.NameForAttach(nic, record.NetworkInterfaces.Select(n => n.Interface.Name)) };
            MachineNetworkInterfaces.CheckedAll([.. record.NetworkInterfaces.Select(n => n.Interface), named]);
            attached = new RecordedNetworkInterface(named, slot);
            // Recorded first: whatever a crash leaves, the next launch and the inventory follow the record.
            record = record with { NetworkInterfaces = [.. record.NetworkInterfaces, attached] };
            record.Write(directory.RecordFile);
        }
        try
        {
            EnsureTunOpenable();
            var tap = await Plane!.CreateTapAsync(attached.Interface, UidOf(record), ct);
            if (tap != attached.Tap)
            {
                var renamed = attached with { Tap = tap };
                record = record with { NetworkInterfaces = record.NetworkInterfaces.Select(n => n.Slot == attached.Slot ? renamed : n).ToList() };
                record.Write(directory.RecordFile);
                attached = renamed;
            }
            if (pid is { } running)
            {
                if (await RunStatusAsync(machineKey, directory, running, ct) == "inmigrate")
                    throw new DriverException($"The VM of {machineKey} is being restored from its saved state; attach again once it runs.");
                await HotPlugNicAsync(machineKey, directory, running, attached, ct);
            }
        }
        catch (Exception e) when (added && e is DriverException or IOException or UnauthorizedAccessException)
        {
            if (pid is { } running && QemuProcess.IsQemuOf(running, directory))
            {
                try
                {
                    await UnplugNicAsync(machineKey, directory, running, attached, CancellationToken.None);
                }
                catch (DriverException undo)
                {
                    LogTapAdoptFailed(machineKey, nic.InterfaceId, $"what a failed hot-plug made could not be removed: {undo.Message}");
                }
            }
            (record with { NetworkInterfaces = record.NetworkInterfaces.Where(n => n.Slot != attached.Slot).ToList() }).Write(directory.RecordFile);
            await UnplugTapQuietlyAsync(machineKey, nic.InterfaceId);
            throw e as DriverException ?? new DriverException($"Plugging network interface {nic.InterfaceId} into {machineKey} failed: {e.Message}", e);
        }
        await RewriteSeedQuietlyAsync(machineKey, directory, ct);
        LogInterfaceAttached(machineKey, nic.InterfaceId, attached.Interface.Name, attached.Slot, pid is not null);
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> DetachNetworkInterfaceAsync(string machineKey, string interfaceId, CancellationToken ct)
    {
        var (directory, record) = Require(machineKey);
        if (record.NetworkInterfaces.FirstOrDefault(n => n.Interface.InterfaceId == interfaceId) is not { } attached) return await InspectAsync(machineKey, ct);
        if (QemuProcess.Find(directory) is { } pid) await UnplugNicAsync(machineKey, directory, pid, attached, ct);
        // The tap goes before the record forgets it: a failure leaves it recorded, and the detach can be repeated.
        if (Plane is { Enabled: true } plane) await plane.UnplugAsync(interfaceId, ct);
        (record with { NetworkInterfaces = record.NetworkInterfaces.Where(n => n.Interface.InterfaceId != interfaceId).ToList() }).Write(directory.RecordFile);
        await RewriteSeedQuietlyAsync(machineKey, directory, ct);
        LogInterfaceDetached(machineKey, interfaceId);
        return await InspectAsync(machineKey, ct);
    }

    /// <summary>The interface's netdev and device in the running VM; each step skipped when QEMU already has it (a
    /// repeated attach, or one cut short by a crash).</summary>
    private async Task HotPlugNicAsync(string machineKey, MachineDirectory directory, int pid, RecordedNetworkInterface nic, CancellationToken ct)
    {
        if (await HasDeviceAsync(machineKey, directory, pid, nic.Device, ct)) return;
        try
        {
            await QmpExecuteAsync(machineKey, directory, pid, "netdev_add", new JsonObject
            {
                ["type"] = "tap", ["id"] = nic.Netdev, ["ifname"] = nic.Tap, ["script"] = "no", ["downscript"] = "no",
            }, ct);
        }
        catch (DriverException e) when (e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            // Added by an attach cut short before its device: the netdev is there, the device follows.
        }
        await QmpExecuteAsync(machineKey, directory, pid, "device_add", new JsonObject
        {
            ["driver"] = "virtio-net-pci", ["netdev"] = nic.Netdev, ["mac"] = nic.Interface.Mac, ["id"] = nic.Device, ["bus"] = nic.Port,
        }, ct);
    }

    /// <summary>The device removed (once the guest released it: QEMU then no longer lists it, which its DEVICE_DELETED
    /// event announces), then its netdev, which closes the tap.</summary>
    private async Task UnplugNicAsync(string machineKey, MachineDirectory directory, int pid, RecordedNetworkInterface nic, CancellationToken ct)
    {
        await UnplugDeviceAsync(machineKey, directory, pid, nic.Device, $"network interface {nic.Interface.InterfaceId}", "It stays plugged.", ct);
        try
        {
            await QmpExecuteAsync(machineKey, directory, pid, "netdev_del", new JsonObject { ["id"] = nic.Netdev }, ct);
        }
        catch (DriverException e) when (e.Message.Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            // Never added, or already deleted.
        }
    }

    /// <summary>
    /// The seed's <c>network-config</c> made to list the interfaces the record has now, so the guest's next boot
    /// configures an interface attached (or forgets one detached) since its create. The seed's other files are read
    /// back from the seed itself: the agent keeps no copy of a Machine's credential or userData. A failure is logged:
    /// the interface is plugged either way, and the guest can be configured by hand.
    /// </summary>
    private async Task RewriteSeedQuietlyAsync(string machineKey, MachineDirectory directory, CancellationToken ct)
    {
        try
        {
            if (OwnRecord(directory) is not { } record) return;
            var nics = record.NetworkInterfaces.OrderBy(n => n.Slot).Select(n => n.Interface).ToList();
            await NoCloudSeed.RewriteNetworkConfigAsync(directory.Seed, nics, ct);
            var uid = UidOf(record).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await HostCommand.RunAsync("chown", [$"{uid}:{uid}", directory.Seed], ct);
            File.SetUnixFileMode(directory.Seed, UnixFileMode.UserRead);
        }
        catch (Exception e) when (e is DriverException or IOException or UnauthorizedAccessException)
        {
            LogSeedRewriteFailed(machineKey, e.Message);
        }
    }

    /// <summary>At agent start: every running VM's taps asked for again, so each is on its Network's bridge even if the
    /// plane lost it while the agent was away (QEMU keeps the tap open; the plane finds it and changes nothing).</summary>
    private async Task AdoptTapsAsync(CancellationToken ct)
    {
        if (Plane is not { Enabled: true } plane || !Directory.Exists(qemu.RuntimeDirectory)) return;
        foreach (var file in Directory.EnumerateFiles(qemu.RuntimeDirectory, MachineDirectory.Prefix + "*.json"))
        {
            if (MachineRecord.Read(file) is not { Complete: true, NetworkInterfaces.Count: > 0 } record || record.HostId != options.HostId) continue;
            if (QemuProcess.Find(DirectoryOf(record.MachineKey)) is null) continue;
            foreach (var nic in record.NetworkInterfaces)
            {
                try
                {
                    var tap = await plane.CreateTapAsync(nic.Interface, UidOf(record), ct);
                    if (tap != nic.Tap) LogTapRenamed(record.MachineKey, nic.Interface.InterfaceId, nic.Tap ?? "(none)", tap);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    LogTapAdoptFailed(record.MachineKey, nic.Interface.InterfaceId, e.Message);
                }
            }
        }
    }

    /// <summary>Every tap of a VM being removed, given back to the plane (a failure is logged: the plane's reconciliation
    /// removes what is left).</summary>
    private async Task UnplugTapsQuietlyAsync(MachineRecord? record)
    {
        foreach (var nic in record?.NetworkInterfaces ?? []) await UnplugTapQuietlyAsync(record!.MachineKey, nic.Interface.InterfaceId);
    }

    private async Task UnplugTapQuietlyAsync(string machineKey, string interfaceId)
    {
        try
        {
            if (Plane is { Enabled: true } plane) await plane.UnplugAsync(interfaceId, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogTapAdoptFailed(machineKey, interfaceId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: network interface {InterfaceId} attached as {Name} on port {Slot} (live: {Live})")]
    private partial void LogInterfaceAttached(string machineKey, string interfaceId, string name, int slot, bool live);

    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: network interface {InterfaceId} detached")]
    private partial void LogInterfaceDetached(string machineKey, string interfaceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Device} was not usable by the VMs' own uids; made it mode 0666 (the tap's owner is what limits a VM)")]
    private partial void LogTunOpened(string device);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MachineKey}: the seed's network-config could not be written again: {Error}")]
    private partial void LogSeedRewriteFailed(string machineKey, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MachineKey}: the tap of network interface {InterfaceId} is {New} now, not {Old}; the running VM keeps its own until its next launch")]
    private partial void LogTapRenamed(string machineKey, string interfaceId, string old, string @new);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MachineKey}: the tap of network interface {InterfaceId}: {Error}")]
    private partial void LogTapAdoptFailed(string machineKey, string interfaceId, string error);
}
