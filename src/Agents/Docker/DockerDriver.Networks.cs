using System.Collections.Concurrent;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Networks;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// CIMI network interfaces in containers (docs/NETWORKS.md, "Drivers"), plumbed the way CNI plugins do it: a
/// container with any is made with the engine's networking off (<c>NetworkMode none</c>: only its loopback, no
/// tenant network of <see cref="TenantNetworks"/>), and after every start of it the host's network plane moves a
/// veth of each interface into its network namespace (<see cref="INetworkPlane.PlugContainerAsync"/>). A start
/// always makes a new namespace, which is why the interfaces live in the Machine's
/// <see cref="ContainerNetworkRecord"/> and are plugged again after each start the driver makes, each start the
/// engine reports (a restart behind the agent's back) and, at agent start, into every running container (the
/// adoption). Machines without interfaces keep the engine's networking on their tenant's network, as before.
/// </summary>
public sealed partial class DockerDriver
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _nicLocks = new(StringComparer.Ordinal);

    private string NetworkRecordsDirectory => Path.Combine(StateDirectoryOfAgent, "docker-networks");

    private string NetworkRecordFile(string machineKey) => Path.Combine(NetworkRecordsDirectory, ContainerNaming.For(machineKey) + ".json");

    private ContainerNetworkRecord? NetworkRecordOf(string machineKey) => ContainerNetworkRecord.Read(NetworkRecordFile(machineKey));

    /// <summary>The ids of the Machine's interfaces (its record's): plugged whenever its container runs.</summary>
    private IReadOnlyList<string> InterfaceIdsOf(string machineKey) =>
        NetworkRecordOf(machineKey)?.Interfaces.Select(n => n.InterfaceId).ToList() ?? [];

    /// <summary>At create, before the container is made: the interfaces checked and recorded (the caller forgets them
    /// if the create fails). Returns them; none: the container gets the engine's networking, and a record a create cut
    /// short by a crash left (before its container was made) is forgotten, so no start plugs what this one does not have.</summary>
    private async Task<IReadOnlyList<NetworkPlaneInterface>> PrepareNetworkInterfacesAsync(string machineKey, IReadOnlyList<NetworkPlaneInterface>? nics, CancellationToken ct)
    {
        var wanted = MachineNetworkInterfaces.CheckedAll(nics);
        if (wanted.Count == 0)
        {
            if (NetworkRecordOf(machineKey) is not null) await ForgetInterfacesAsync(machineKey, ct);
            return wanted;
        }
        MachineNetworkInterfaces.RequirePlane(Plane, machineKey, wanted.Count);
        // Recorded first: a crash from here on leaves a record that the next start (or the reconciliation) acts on.
        new ContainerNetworkRecord { MachineKey = machineKey, Interfaces = wanted }.Write(NetworkRecordFile(machineKey));
        return wanted;
    }

    public async Task<WorkloadStatus> AttachNetworkInterfaceAsync(string machineKey, NetworkPlaneInterface nic, CancellationToken ct)
    {
        MachineNetworkInterfaces.RequirePlane(Plane, machineKey, 1);
        var c = await RequireAsync(machineKey, ct);
        using (await LockInterfacesAsync(machineKey, ct))
        {
            var record = NetworkRecordOf(machineKey) ?? new ContainerNetworkRecord { MachineKey = machineKey };
            var known = record.Interfaces.FirstOrDefault(n => n.InterfaceId == nic.InterfaceId);
            NetworkPlaneInterface wanted;
            if (known is not null)
            {
                // A repeated attach: plugged again under the name it has.
                if (known.NetworkId != nic.NetworkId || known.Mac != nic.Mac)
                    throw new DriverException($"Network interface {nic.InterfaceId} is already plugged into {machineKey} on Network {known.NetworkId} with MAC {known.Mac}; detach it first.");
                wanted = known;
            }
            else
            {
                if (c.HostConfig.NetworkMode != "none")
                    throw new DriverException($"The container of {machineKey} was made with the engine's networking (it had no network interface at create); " +
                        "a container's networking cannot change afterwards: create the Machine with a network interface to attach more later.");
                wanted = MachineNetworkInterfaces.Checked(nic with { Name = MachineNetworkInterfaces.NameForAttach(nic, record.Interfaces.Select(n => n.Name)) });
                var all = MachineNetworkInterfaces.CheckedAll([.. record.Interfaces, wanted]);
                record = record with { Interfaces = all };
                record.Write(NetworkRecordFile(machineKey));
            }
            try
            {
                if (c.State.Running) await Plane!.PlugContainerAsync(wanted, checked((int)c.State.Pid), ct);
            }
            catch (Exception e) when (known is null && e is not OperationCanceledException)
            {
                // Not attached after all: the record and the plane go back to what they were.
                (record with { Interfaces = record.Interfaces.Where(n => n.InterfaceId != wanted.InterfaceId).ToList() }).Write(NetworkRecordFile(machineKey));
                await UnplugQuietlyAsync(machineKey, wanted.InterfaceId);
                throw e as DriverException ?? new DriverException($"Plugging network interface {wanted.InterfaceId} into {machineKey} failed: {e.Message}", e);
            }
            LogInterfaceAttached(machineKey, wanted.InterfaceId, wanted.Name, wanted.NetworkId, c.State.Running);
        }
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> DetachNetworkInterfaceAsync(string machineKey, string interfaceId, CancellationToken ct)
    {
        using (await LockInterfacesAsync(machineKey, ct))
        {
            var record = NetworkRecordOf(machineKey);
            if (record?.Interfaces.FirstOrDefault(n => n.InterfaceId == interfaceId) is null) return await InspectAsync(machineKey, ct);
            // Unplugged before it is forgotten: a failure leaves it recorded, and the detach can be repeated.
            if (Plane is { Enabled: true } plane) await plane.UnplugAsync(interfaceId, ct);
            (record with { Interfaces = record.Interfaces.Where(n => n.InterfaceId != interfaceId).ToList() }).Write(NetworkRecordFile(machineKey));
            LogInterfaceDetached(machineKey, interfaceId);
        }
        return await InspectAsync(machineKey, ct);
    }

    /// <summary>After a start of the container (by a command, an event, or found running at agent start): each
    /// recorded interface plugged into its namespace (the plane changes nothing where it already is).</summary>
    private async Task PlugInterfacesAsync(string machineKey, CancellationToken ct)
    {
        if (NetworkRecordOf(machineKey) is not { Interfaces.Count: > 0 }) return;
        using var _ = await LockInterfacesAsync(machineKey, ct);
        if (NetworkRecordOf(machineKey) is not { } record || await FindAsync(machineKey, ct) is not { State.Running: true } c) return;
        MachineNetworkInterfaces.RequirePlane(Plane, machineKey, record.Interfaces.Count);
        foreach (var nic in record.Interfaces) await Plane!.PlugContainerAsync(nic, checked((int)c.State.Pid), ct);
    }

    /// <summary>The watcher's and the reconciliation's version: a failure is logged (the event must still be reported,
    /// the other containers still adopted).</summary>
    private async Task PlugInterfacesQuietlyAsync(string machineKey, CancellationToken ct)
    {
        try
        {
            await PlugInterfacesAsync(machineKey, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogPlugFailed(machineKey, e.Message);
        }
    }

    /// <summary>Once the container is gone (or is being replaced): every interface unplugged, then the record.</summary>
    private async Task ForgetInterfacesAsync(string machineKey, CancellationToken ct)
    {
        using var _ = await LockInterfacesAsync(machineKey, ct);
        if (NetworkRecordOf(machineKey) is not { } record) return;
        if (Plane is { Enabled: true } plane)
        {
            foreach (var nic in record.Interfaces) await plane.UnplugAsync(nic.InterfaceId, ct);
        }
        File.Delete(NetworkRecordFile(machineKey));
    }

    /// <summary>The watcher's version, for a container removed behind the agent's back (docker rm); what stays is
    /// removed by the plane's reconciliation at the next session.</summary>
    private async Task ForgetInterfacesQuietlyAsync(string machineKey, CancellationToken ct)
    {
        try
        {
            await ForgetInterfacesAsync(machineKey, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogPlugFailed(machineKey, e.Message);
        }
    }

    /// <summary>At agent start (after a kill -9 or a reboot): records of containers that are gone are forgotten,
    /// and every running container gets its interfaces plugged again (its namespace may be a new one).</summary>
    private async Task ReconcileInterfacesAsync(CancellationToken ct)
    {
        if (!Directory.Exists(NetworkRecordsDirectory)) return;
        foreach (var file in Directory.EnumerateFiles(NetworkRecordsDirectory, "*.json").ToList())
        {
            ContainerNetworkRecord? record;
            try
            {
                record = ContainerNetworkRecord.Read(file);
            }
            catch (DriverException e)
            {
                LogPlugFailed(Path.GetFileName(file), e.Message);
                continue;
            }
            if (record is null) continue;
            if (await FindAsync(record.MachineKey, ct) is null) await ForgetInterfacesQuietlyAsync(record.MachineKey, ct);
            else await PlugInterfacesQuietlyAsync(record.MachineKey, ct);
        }
    }

    private async Task UnplugQuietlyAsync(string machineKey, string interfaceId)
    {
        try
        {
            if (Plane is { Enabled: true } plane) await plane.UnplugAsync(interfaceId, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogPlugFailed(machineKey, e.Message);
        }
    }

    private async Task<IDisposable> LockInterfacesAsync(string machineKey, CancellationToken ct)
    {
        var gate = _nicLocks.GetOrAdd(machineKey, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: network interface {InterfaceId} attached as {Name} on Network {NetworkId} (live: {Live})")]
    private partial void LogInterfaceAttached(string machineKey, string interfaceId, string name, string networkId, bool live);

    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: network interface {InterfaceId} detached")]
    private partial void LogInterfaceDetached(string machineKey, string interfaceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MachineKey}: could not plug or unplug its network interfaces: {Error}")]
    private partial void LogPlugFailed(string machineKey, string error);
}
