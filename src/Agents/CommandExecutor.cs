using System.Collections.Concurrent;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Images;
using CimiGrains.Agents.Protocol;
using CimiGrains.Agents.Volumes;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents;

/// <summary>
/// Carries out commands, one at a time per Machine and in parallel across Machines, and fences them:
/// a command older than the newest generation seen for its Machine is refused, a repeated command gets
/// its first answer again, and neither a create nor a delete ever acts on a newer generation's workload.
/// The newest generation per Machine is recorded on disk (<see cref="GenerationStore"/>) before a
/// command acts, so the fence holds across agent restarts.
/// </summary>
public sealed partial class CommandExecutor
{
    private const int RememberedResults = 2048;

    private readonly HostDrivers _drivers;
    private readonly GenerationStore _store;
    private readonly ImageTransfers _images;
    private readonly VolumeCommands _volumes;
    private readonly ILogger<CommandExecutor> _logger;
    private readonly IVolumePool? _pool;
    private readonly Networks.INetworkPlane? _plane;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _newest;
    private readonly ConcurrentDictionary<string, Report> _results = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _resultOrder = new();
    private int _pruned;

    // volumes: the Volumes' own commands. pool: this host's pool, where the files of the Volumes attached here
    // are (none: no Volume is on this host, and only those reached over NBD can be attached). networkPlane: this
    // host's part of the Networks (none, or not enabled: a Machine with network interfaces is refused here).
    public CommandExecutor(HostDrivers drivers, GenerationStore store, ImageTransfers images, ILogger<CommandExecutor> logger,
        VolumeCommands volumes, IVolumePool? pool = null, Networks.INetworkPlane? networkPlane = null)
    {
        _plane = networkPlane;
        _volumes = volumes;
        _pool = pool;
        _drivers = drivers;
        _store = store;
        _images = images;
        _logger = logger;
        _newest = new ConcurrentDictionary<string, long>(store.Load(), StringComparer.Ordinal);
    }

    /// <summary>Learns the generations of the workloads found on the host (their create generations,
    /// labelled on the containers) and, once per process, prunes old records of Machines without one.</summary>
    public void Learn(IReadOnlyCollection<WorkloadStatus> workloads)
    {
        foreach (var w in workloads) _newest.AddOrUpdate(w.MachineKey, w.Generation, (_, known) => Math.Max(known, w.Generation));
        if (Interlocked.Exchange(ref _pruned, 1) == 0)
        {
            var pruned = _store.Prune(workloads.Select(w => w.MachineKey).ToHashSet(StringComparer.Ordinal), DateTime.UtcNow);
            if (pruned > 0) LogPruned(pruned);
        }
    }

    /// <summary>The newest generation this host has accepted a command of for the Machine (0 if none).</summary>
    public long NewestGeneration(string machineKey) => _newest.GetValueOrDefault(machineKey);

    public async Task<Report> ExecuteAsync(Command command, CancellationToken ct)
    {
        // Volumes live in the host's pool, not in a driver: their commands have an executor (and a fence) of their own.
        if (command.ResourceKind == ResourceKind.Volume) return await _volumes.ExecuteAsync(command, ct);
        if (command.ResourceKind != ResourceKind.Machine)
        {
            // A kind from a newer cluster: this agent's drivers run Machines only.
            return Result(command, false, WorkloadStatus.Absent(command.ResourceId), $"This agent does not run resources of kind {command.ResourceKind}.");
        }
        // The resource's key: resource_id from clusters that know kinds, machine_key from older ones.
        if (command.MachineKey.Length == 0) command.MachineKey = command.ResourceId;
        var gate = _locks.GetOrAdd(command.MachineKey, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_results.TryGetValue(command.CommandId, out var earlier)) return earlier;
            var report = await RunFencedAsync(command, ct);
            Remember(command.CommandId, report);
            return report;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<Report> RunFencedAsync(Command command, CancellationToken ct)
    {
        var key = command.MachineKey;
        var newest = _newest.GetValueOrDefault(key);
        if (command.Generation < newest)
        {
            LogStale(key, command.Kind, command.Generation, newest);
            return Result(command, false, await SafeInspect(key, ct),
                $"Ignored a stale {command.Kind} (generation {command.Generation}; this host has seen {newest}).");
        }
        if (command.Generation > newest)
        {
            try
            {
                // On disk before acting: after a crash the fence must know this command may have run.
                _store.Save(key, command.Generation);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogFailed(key, command.Kind, $"cannot record generation {command.Generation}: {e.Message}");
                return Result(command, false, await SafeInspect(key, ct),
                    $"The agent cannot record the command's generation in its state directory: {e.Message}");
            }
            _newest[key] = command.Generation;
        }
        try
        {
            WorkloadStatus status;
            string? image = null;
            // A create goes to the driver its image's scheme names; anything else to the one holding the workload.
            var driver = command.Kind == CommandKind.Create
                ? _drivers.ForImage((command.Spec ?? throw new DriverException("A create needs a spec.")).ImageLocation)
                : await _drivers.HoldingAsync(key, ct);
            switch (command.Kind)
            {
                case CommandKind.Create:
                    var s = command.Spec!;
                    // Refused before anything is fetched or made: a host without Networks cannot plug them later either.
                    var nics = MachineNetworkInterfaces.FromProto(s.NetworkInterfaces);
                    MachineNetworkInterfaces.RequirePlane(_plane, key, nics.Count);
                    // An image captured or registered elsewhere comes from the cluster image store first.
                    await _images.EnsureAsync(driver, s.ImageLocation, s.TenantId, ct);
                    status = await driver.CreateAsync(key, command.Generation, new WorkloadSpec(
                        s.ImageLocation, s.Cpu, s.MemoryKib, s.TenantId, Blank(s.AdminUserName), Blank(s.AdminPassword),
                        Blank(s.AdminKey), Blank(s.UserData), s.StartAfterCreate,
                        [.. s.Disks.Select(d => new WorkloadDisk(d.CapacityKib, Blank(d.Format), Blank(d.InitialLocation)))],
                        [.. s.Volumes.Select(ToAttached)], nics), ct);
                    break;
                case CommandKind.AttachVolume:
                    status = await driver.AttachVolumeAsync(key, ToAttached(command.Attachment ?? throw new DriverException("An attach needs the Volume (attachment).")), ct);
                    break;
                case CommandKind.DetachVolume:
                    if (command.Attachment is not { VolumeId.Length: > 0 } detached) throw new DriverException("A detach needs the Volume's id (attachment.volume_id).");
                    status = await driver.DetachVolumeAsync(key, detached.VolumeId, ct);
                    break;
                case CommandKind.AttachNetworkInterface:
                    if (command.NetworkInterface is not { InterfaceId.Length: > 0 } plugged)
                        throw new DriverException("An attach needs the interface (network_interface with its interface_id).");
                    MachineNetworkInterfaces.RequirePlane(_plane, key, 1);
                    // Named by the driver, which knows the names the Machine's other interfaces have.
                    status = await driver.AttachNetworkInterfaceAsync(key, MachineNetworkInterfaces.FromProto(plugged, ""), ct);
                    break;
                case CommandKind.DetachNetworkInterface:
                    if (command.NetworkInterface is not { InterfaceId.Length: > 0 } unplugged)
                        throw new DriverException("A detach needs the interface's id (network_interface.interface_id).");
                    status = await driver.DetachNetworkInterfaceAsync(key, unplugged.InterfaceId, ct);
                    break;
                case CommandKind.Start: status = await driver.StartAsync(key, ct); break;
                case CommandKind.Stop: status = await driver.StopAsync(key, command.Force, ct); break;
                case CommandKind.Restart: status = await driver.RestartAsync(key, command.Force, ct); break;
                case CommandKind.Pause: status = await driver.PauseAsync(key, ct); break;
                case CommandKind.Suspend: status = await driver.SuspendAsync(key, ct); break;
                case CommandKind.Capture:
                    image = await driver.CaptureAsync(key, command.CaptureImageLocation, ct);
                    // Done only once the bytes are in the store: then the capture outlives this host.
                    await _images.StoreAsync(driver, image, ct);
                    status = await driver.InspectAsync(key, ct);
                    break;
                case CommandKind.Delete:
                    var current = await driver.InspectAsync(key, ct);
                    if (current.Generation > command.Generation)
                        return Result(command, false, current,
                            $"Kept the container: it belongs to generation {current.Generation}, newer than this delete ({command.Generation}).");
                    await driver.DeleteAsync(key, ct);
                    status = WorkloadStatus.Absent(key);
                    break;
                default:
                    throw new DriverException($"Unknown command {command.Kind}.");
            }
            _drivers.Observed(driver, status);
            LogDone(key, command.Kind, command.Generation, status.State);
            var report = Result(command, true, status, null);
            report.ResultImageLocation = image ?? "";
            return report;
        }
        catch (Exception e) when (e is DriverException or IOException)
        {
            LogFailed(key, command.Kind, e.Message);
            return Result(command, false, await SafeInspect(key, ct), e.Message);
        }
    }

    /// <summary>
    /// A Volume as the driver attaches it: its file and format from this host's pool when the pool holds it
    /// (the pool's record is the truth about the file, not the command), else its NBD export on the owning host.
    /// </summary>
    private AttachedVolume ToAttached(VolumeAttachment a)
    {
        if (a.VolumeId.Length == 0) throw new DriverException("A volume attachment names no Volume (volume_id is empty).");
        var path = _pool?.PathOf(a.VolumeId);
        if (path is null && (a.NbdAddress.Length == 0 || a.NbdExport.Length == 0))
            throw new DriverException($"Volume {a.VolumeId} is not in the volume pool of this host and no NBD export of it was given"
                + (a.HostId.Length > 0 ? $" (it lives on host '{a.HostId}')." : "."));
        var format = (path is not null ? _pool!.FormatOf(a.VolumeId) : null) ?? Blank(a.Format) ?? "ext4";
        return new AttachedVolume(a.VolumeId, path, format, Blank(a.InitialLocation), a.ReadOnly,
            path is null ? a.NbdAddress : null, path is null ? a.NbdExport : null,
            path is null ? Blank(a.NbdIdentity) : null, path is null ? Blank(a.NbdPsk) : null);
    }

    private async Task<WorkloadStatus> SafeInspect(string key, CancellationToken ct)
    {
        try
        {
            return await (await _drivers.HoldingAsync(key, ct)).InspectAsync(key, ct);
        }
        catch (Exception e) when (e is DriverException or IOException)
        {
            return new WorkloadStatus(key, 0, ObservedState.Failed, null, e.Message);
        }
    }

    private static Report Result(Command command, bool succeeded, WorkloadStatus status, string? message) => new()
    {
        MachineKey = command.MachineKey,
        ResourceKind = ResourceKind.Machine,
        ResourceId = command.MachineKey,
        Generation = command.Generation,
        State = status.State,
        CommandId = command.CommandId,
        Succeeded = succeeded,
        Message = message ?? "",
    };

    private void Remember(string commandId, Report report)
    {
        _results[commandId] = report;
        _resultOrder.Enqueue(commandId);
        while (_resultOrder.Count > RememberedResults && _resultOrder.TryDequeue(out var old)) _results.TryRemove(old, out _);
    }

    private static string? Blank(string value) => value.Length > 0 ? value : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Count} generation records of Machines that have had no workload here for a week")]
    private partial void LogPruned(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MachineKey}: ignored stale {Kind} of generation {Generation} (newest {Newest})")]
    private partial void LogStale(string machineKey, CommandKind kind, long generation, long newest);

    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: {Kind} (generation {Generation}) done, workload {State}")]
    private partial void LogDone(string machineKey, CommandKind kind, long generation, ObservedState state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{MachineKey}: {Kind} failed: {Error}")]
    private partial void LogFailed(string machineKey, CommandKind kind, string error);
}
