using System.Collections.Concurrent;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Protocol;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Volumes;

/// <summary>
/// Carries out the cluster's commands about Volumes (<see cref="ResourceKind.Volume"/>): create, delete and
/// capture, one at a time per Volume. Fenced as Machines are (a command older than the newest generation seen
/// for the Volume is refused, a repeated command gets its first answer), with a fence of its own: a Volume and a
/// Machine may have the same key (<c>tenant/localId</c>), and one's generations say nothing about the other's.
/// </summary>
public sealed partial class VolumeCommands
{
    private const int RememberedResults = 2048;

    private readonly VolumePool _pool;
    private readonly VolumeImageTransfers _images;
    private readonly GenerationStore _fence;
    private readonly ILogger<VolumeCommands> _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _newest;
    private readonly ConcurrentDictionary<string, Report> _results = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _resultOrder = new();

    public VolumeCommands(VolumePool pool, VolumeImageTransfers images, AgentOptions options, ILogger<VolumeCommands> logger)
    {
        _pool = pool;
        _images = images;
        _logger = logger;
        _fence = new GenerationStore(options.StateDirectory, "volume-generations");
        _newest = new ConcurrentDictionary<string, long>(_fence.Load(), StringComparer.Ordinal);
        // The records say which generation made each Volume: the fence is at least that, even with a lost state directory.
        foreach (var volume in pool.List()) _newest.AddOrUpdate(volume.Key, volume.Generation, (_, known) => Math.Max(known, volume.Generation));
        _fence.Prune(pool.List().Select(v => v.Key).ToHashSet(StringComparer.Ordinal), DateTime.UtcNow);
    }

    /// <summary>The pool's Volumes as the inventory lists them, so the cluster reconciles them like Machines.</summary>
    public IEnumerable<Workload> Inventory() => _pool.List().Select(v => new Workload
    {
        ResourceKind = ResourceKind.Volume, ResourceId = v.Key, Generation = v.Generation, State = ObservedState.Created,
        FenceGeneration = Math.Max(v.Generation, _newest.GetValueOrDefault(v.Key)),
    });

    public async Task<Report> ExecuteAsync(Command command, CancellationToken ct)
    {
        var key = command.ResourceId;
        if (key.Length == 0) return Result(command, false, $"A {command.Kind} of a Volume needs its resource_id.");
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_results.TryGetValue(command.CommandId, out var earlier)) return earlier;
            var report = await RunFencedAsync(command, ct);
            _results[command.CommandId] = report;
            _resultOrder.Enqueue(command.CommandId);
            while (_resultOrder.Count > RememberedResults && _resultOrder.TryDequeue(out var old)) _results.TryRemove(old, out _);
            return report;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<Report> RunFencedAsync(Command command, CancellationToken ct)
    {
        var key = command.ResourceId;
        // Bad input is answered before the fence moves: a refused create leaves nothing behind, not even a fence record.
        if (Refusal(command) is { } refusal)
        {
            LogFailed(key, command.Kind, refusal);
            return Result(command, false, refusal);
        }
        var newest = _newest.GetValueOrDefault(key);
        if (command.Generation < newest)
        {
            LogStale(key, command.Kind, command.Generation, newest);
            return Result(command, false, $"Ignored a stale {command.Kind} of Volume '{key}' (generation {command.Generation}; this host has seen {newest}).");
        }
        try
        {
            if (command.Generation > newest)
            {
                // On disk before acting: after a crash the fence must know this command may have run.
                _fence.Save(key, command.Generation);
                _newest[key] = command.Generation;
            }
            string? image = null;
            switch (command.Kind)
            {
                case CommandKind.Create:
                    if (await CreateAsync(key, command.Generation, command.Volume, ct) is { } kept) return Result(command, false, kept);
                    break;
                case CommandKind.Delete:
                    if (_pool.Find(key) is { } current && current.Generation > command.Generation)
                        return Result(command, false,
                            $"Kept the Volume '{key}': it belongs to generation {current.Generation}, newer than this delete ({command.Generation}).");
                    await _pool.DeleteAsync(key, ct);
                    break;
                case CommandKind.Capture:
                    var source = await _pool.CaptureSourceAsync(key, ct);
                    image = await _images.UploadAsync(source, _pool.FormatOf(key)!, command.CaptureImageLocation, ct);
                    break;
            }
            LogDone(key, command.Kind, command.Generation);
            var report = Result(command, true, null);
            report.ResultImageLocation = image ?? "";
            return report;
        }
        catch (Exception e) when (e is DriverException or IOException or UnauthorizedAccessException)
        {
            LogFailed(key, command.Kind, e.Message);
            return Result(command, false, e.Message);
        }
    }

    /// <summary>Makes the Volume, or finds it made; returns why it refused when the pool holds a different Volume under the key.</summary>
    private async Task<string?> CreateAsync(string key, long generation, VolumeSpec spec, CancellationToken ct)
    {
        var format = VolumeFormats.Normalize(spec.Format);
        if (_pool.Find(key) is { } existing)
        {
            if (existing.Format != format || existing.CapacityKiB != spec.CapacityKib)
                return $"The Volume '{key}' already exists on this host as {existing.Format} of {existing.CapacityKiB} KiB " +
                    $"(generation {existing.Generation}); a create of {format} of {spec.CapacityKib} KiB does not replace it: delete it first.";
            // A repeated create (the same generation, or a newer one re-sent after a silo's failover) finds its work done.
            if (existing.Generation < generation) _pool.Adopt(existing with { Generation = generation });
            return null;
        }
        var tenant = spec.TenantId.Length > 0 ? spec.TenantId : key.Split('/')[0];
        var imageLocation = spec.ImageLocation.Length > 0 ? VolumeImageTransfers.Check(spec.ImageLocation) : null;
        var record = new VolumeRecord(key, generation, format, spec.CapacityKib, tenant, spec.Bootable, imageLocation);
        await _pool.CreateAsync(record, imageLocation is null ? null : (path, token) => _images.DownloadAsync(imageLocation, tenant, path, token), ct);
        return null;
    }

    /// <summary>Why the command cannot be carried out as written, or null.</summary>
    private static string? Refusal(Command command)
    {
        switch (command.Kind)
        {
            case CommandKind.Create:
                if (command.Volume is not { } spec) return $"A create of Volume '{command.ResourceId}' needs its VolumeSpec.";
                if (spec.CapacityKib <= 0) return $"The Volume '{command.ResourceId}' has capacity {spec.CapacityKib} KiB: a Volume's capacity must be greater than 0.";
                if (spec.CapacityKib > long.MaxValue / 1024) return $"The Volume '{command.ResourceId}' has capacity {spec.CapacityKib} KiB, more than any file can hold.";
                try
                {
                    VolumeFormats.Normalize(spec.Format);
                    if (spec.ImageLocation.Length > 0) VolumeImageTransfers.Check(spec.ImageLocation);
                }
                catch (DriverException e)
                {
                    return e.Message;
                }
                return null;
            case CommandKind.Delete:
                return null;
            case CommandKind.Capture:
                try
                {
                    VolumeImageTransfers.Check(command.CaptureImageLocation);
                    return null;
                }
                catch (DriverException e)
                {
                    return e.Message;
                }
            default:
                return $"A Volume is created, deleted and captured; {command.Kind} is not a Volume command.";
        }
    }

    private Report Result(Command command, bool succeeded, string? message) => new()
    {
        // machine_key stays empty: clusters that predate kinds must not read a Volume as a Machine.
        ResourceKind = ResourceKind.Volume,
        ResourceId = command.ResourceId,
        Generation = command.Generation,
        State = _pool.Find(command.ResourceId) is null ? ObservedState.Absent : ObservedState.Created,
        CommandId = command.CommandId,
        Succeeded = succeeded,
        Message = message ?? "",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume {VolumeKey}: ignored stale {Kind} of generation {Generation} (newest {Newest})")]
    private partial void LogStale(string volumeKey, CommandKind kind, long generation, long newest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Volume {VolumeKey}: {Kind} (generation {Generation}) done")]
    private partial void LogDone(string volumeKey, CommandKind kind, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume {VolumeKey}: {Kind} failed: {Error}")]
    private partial void LogFailed(string volumeKey, CommandKind kind, string error);
}
