using System.Globalization;
using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Networks;

/// <summary>Container interfaces (veth pairs), VM interfaces (taps), and unplugging either.</summary>
public sealed partial class LinuxNetworkPlane
{
    public async Task PlugContainerAsync(NetworkPlaneInterface nic, int pid, CancellationToken ct)
    {
        RequireEnabled();
        var record = Record(nic, PlaneInterfaceRecord.Veth, PlaneNames.Veth(nic.InterfaceId)) with { WorkloadNamespace = NamespaceOf(pid) };
        var gateway = string.IsNullOrWhiteSpace(nic.Gateway) ? null : PlaneInput.Address(nic.Gateway, $"Interface {nic.InterfaceId} gateway");
        await _gate.WaitAsync(ct);
        try
        {
            var links = (await LinksAsync(ct)).Select(l => l.Name).ToHashSet();
            if (Store.Interface(nic.InterfaceId) is { Complete: true } plugged && Same(plugged, record) && links.Contains(record.Port))
            {
                // The same interface in the same namespace: only make sure the bridge side is as it should be.
                KeepPort(plugged, record);
                await EnsureNetworkForAsync(record, ct);
                await AttachPortAsync(record, ct);
                await WriteRulesAsync(ct);
                return;
            }
            var peer = PlaneNames.Peer(nic.InterfaceId);
            await RemovePortDevicesAsync(nic.InterfaceId, links, ct);
            // Recorded and filtered before the port exists: the port never forwards a frame its rules do not check.
            Store.Save(record);
            await WriteRulesAsync(ct);
            await EnsureNetworkForAsync(record, ct);
            var mtu = record.Mtu.ToString(CultureInfo.InvariantCulture);
            await _shell.RunAsync("ip", ["link", "add", record.Port, "mtu", mtu, "type", "veth", "peer", "name", peer, "mtu", mtu], ct);
            await _shell.RunAsync("ip", ["link", "set", peer, "netns", pid.ToString(CultureInfo.InvariantCulture)], ct);
            await _shell.InWorkloadAsync(pid, ["link", "set", "dev", peer, "name", record.Name, "address", record.Mac, "mtu", mtu], ct);
            foreach (var address in record.Addresses) await _shell.InWorkloadAsync(pid, ["addr", "replace", address, "dev", record.Name], ct);
            await _shell.InWorkloadAsync(pid, ["link", "set", "lo", "up"], ct);
            await _shell.InWorkloadAsync(pid, ["link", "set", record.Name, "up"], ct);
            if (gateway is not null) await _shell.InWorkloadAsync(pid, ["route", "replace", "default", "via", gateway, "dev", record.Name], ct);
            await AttachPortAsync(record, ct);
            Store.Save(record with { Complete = true });
            LogPlugged(nic.InterfaceId, record.Port, nic.NetworkId, pid);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<string> CreateTapAsync(NetworkPlaneInterface nic, int uid, CancellationToken ct)
    {
        RequireEnabled();
        if (uid < 0) throw new DriverException($"Interface {nic.InterfaceId}: uid {uid} is not a user id.");
        var record = Record(nic, PlaneInterfaceRecord.Tap, PlaneNames.Tap(nic.InterfaceId)) with { Uid = uid };
        await _gate.WaitAsync(ct);
        try
        {
            var links = (await LinksAsync(ct)).Select(l => l.Name).ToHashSet();
            if (Store.Interface(nic.InterfaceId) is { Complete: true } made && Same(made, record) && links.Contains(record.Port))
            {
                KeepPort(made, record);
                await EnsureNetworkForAsync(record, ct);
                await AttachPortAsync(record, ct);
                await WriteRulesAsync(ct);
                return record.Port;
            }
            await RemovePortDevicesAsync(nic.InterfaceId, links, ct);
            Store.Save(record);
            await WriteRulesAsync(ct);
            await EnsureNetworkForAsync(record, ct);
            // Persistent (it outlives the QEMU that opens it, and the agent) and owned by the VM's uid, so QEMU needs no privilege to open it.
            await _shell.RunAsync("ip", ["tuntap", "add", "dev", record.Port, "mode", "tap", "user", uid.ToString(CultureInfo.InvariantCulture)], ct);
            await AttachPortAsync(record, ct);
            Store.Save(record with { Complete = true });
            LogPlugged(nic.InterfaceId, record.Port, nic.NetworkId, uid);
            return record.Port;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task UnplugAsync(string interfaceId, CancellationToken ct)
    {
        RequireEnabled();
        await _gate.WaitAsync(ct);
        try
        {
            var record = Store.Interface(interfaceId);
            await RemovePortDevicesAsync(interfaceId, (await LinksAsync(ct)).Select(l => l.Name).ToHashSet(), ct);
            Store.DeleteInterface(interfaceId);
            if (record is not null) await RemoveNetworkIfUnusedAsync(record.NetworkId, ct);
            await WriteRulesAsync(ct);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static PlaneInterfaceRecord Record(NetworkPlaneInterface nic, string kind, string port)
    {
        if (string.IsNullOrWhiteSpace(nic.InterfaceId) || string.IsNullOrWhiteSpace(nic.NetworkId))
            throw new DriverException("A network interface needs its interface id and network id.");
        var what = $"Interface {nic.InterfaceId}";
        return new PlaneInterfaceRecord(nic.InterfaceId, nic.NetworkId, PlaneInput.Vni(nic.Vni, what), PlaneInput.Mtu(nic.Mtu, what), kind, port,
            PlaneInput.Mac(nic.Mac, what), nic.Addresses.Select(a => PlaneInput.InterfaceAddress(a, what)).ToList(),
            kind == PlaneInterfaceRecord.Veth ? PlaneInput.Device(nic.Name, what + " name") : nic.Name, null, null, Complete: false,
            nic.NetworkPortKey);
    }

    /// <summary>Whether a plugged interface is the one asked for (records compare their address lists by reference).
    /// The NetworkPort it counts for is not part of what is plugged: a record that lacks it (written before it was
    /// kept) gets it by <see cref="KeepPort"/>, without remaking the device.</summary>
    private static bool Same(PlaneInterfaceRecord plugged, PlaneInterfaceRecord wanted) =>
        plugged with { Addresses = [], Complete = false, NetworkPortKey = null } == wanted with { Addresses = [], Complete = false, NetworkPortKey = null }
        && plugged.Addresses.SequenceEqual(wanted.Addresses);

    /// <summary>Records the NetworkPort of an interface already plugged, when the record names another (or none).</summary>
    private void KeepPort(PlaneInterfaceRecord plugged, PlaneInterfaceRecord wanted)
    {
        if (wanted.NetworkPortKey is not null && plugged.NetworkPortKey != wanted.NetworkPortKey) Store.Save(plugged with { NetworkPortKey = wanted.NetworkPortKey });
    }

    public async Task<IReadOnlyList<PortCounters>> ReadPortCountersAsync(CancellationToken ct)
    {
        if (!Enabled) return [];
        var ports = Store.Interfaces().Where(r => r is { Complete: true, NetworkPortKey: not null }).ToList();
        if (ports.Count == 0) return [];
        var at = DateTimeOffset.UtcNow;
        // In the agent's own namespace the kernel's sysfs counters cost no process; a plane built in a named namespace
        // (a rig's or a test's host) reads them all with one `ip -s link` inside it.
        var inNamespace = _shell.Namespace is null ? null : await LinkCounters.ReadAllAsync(_shell, ct);
        var result = new List<PortCounters>(ports.Count);
        foreach (var record in ports)
        {
            var counters = inNamespace is null ? LinkCounters.Read(record.Port) : inNamespace.GetValueOrDefault(record.Port);
            if (counters is not null) result.Add(new PortCounters(record.NetworkPortKey!, at, counters));
        }
        return result;
    }

    /// <summary>The network namespace of process <paramref name="pid"/> (<c>net:[inode]</c>): what tells a restarted container from the same one.</summary>
    private string NamespaceOf(int pid)
    {
        var target = pid > 0 ? new FileInfo($"/proc/{pid}/ns/net").LinkTarget : null;
        if (target is null) throw new DriverException($"Process {pid} is not running: there is no network namespace to plug into.");
        if (_options.Namespace is null && target == new FileInfo("/proc/self/ns/net").LinkTarget)
            throw new DriverException($"Process {pid} shares the host's network namespace; a container to plug needs its own.");
        return target;
    }

    /// <summary>The bridge the record's port joins: as the Network's state says, else as the interface says.</summary>
    private async Task EnsureNetworkForAsync(PlaneInterfaceRecord record, CancellationToken ct)
    {
        if (Store.State(record.NetworkId) is { Present: true } state) await BuildNetworkAsync(state, ct);
        else await EnsureBridgeAsync(record.NetworkId, record.Vni, record.Mtu, ct);
    }

    private async Task AttachPortAsync(PlaneInterfaceRecord record, CancellationToken ct)
    {
        await _shell.TryRunAsync("sysctl", ["-q", "-w", $"net.ipv6.conf.{record.Port}.disable_ipv6=1"], ct);
        await _shell.RunAsync("ip", ["link", "set", record.Port, "mtu", record.Mtu.ToString(CultureInfo.InvariantCulture), "master", PlaneNames.Bridge(record.NetworkId), "up"], ct);
    }

    /// <summary>Whichever of the interface's devices exist (a veth's inner end goes with its outer end).</summary>
    private async Task RemovePortDevicesAsync(string interfaceId, IReadOnlySet<string> links, CancellationToken ct)
    {
        foreach (var device in new[] { PlaneNames.Veth(interfaceId), PlaneNames.Peer(interfaceId), PlaneNames.Tap(interfaceId) })
            if (links.Contains(device)) await DeleteLinkAsync(device, ct);
    }
}
