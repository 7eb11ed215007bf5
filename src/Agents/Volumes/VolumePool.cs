using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using CimiGrains.Agents.Drivers;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Volumes;

/// <summary>
/// The host's volume pool (docs/VOLUMES.md, "The pool"): one directory, one file per Volume
/// (<c>{sha256(key)}.volume</c>) and beside it the Volume's record (<c>{sha256(key)}.json</c>). A file is a
/// Volume only once its record is there: a create builds the file under a temporary name, renames it, then
/// writes the record (itself through a temporary file); a delete removes the record first. Whatever a crash
/// leaves half-done (temporary files, a file without a record) is removed when the pool opens.
/// </summary>
/// <remarks>Callers serialise the operations on one Volume (<see cref="VolumeCommands"/> locks per key); the pool
/// itself guards only what several Volumes share, its capacity.</remarks>
public sealed partial class VolumePool : IVolumePool
{
    private const string DataSuffix = ".volume";
    private const string RecordSuffix = ".json";
    private const string TemporarySuffix = ".tmp";

    /// <summary>
    /// The mode of every file in the pool (0600): a Volume holds a tenant's data, so no other local user may read
    /// it. The agent (root) makes and serves the files; a VM's QEMU, which runs as the VM's own uid, is given its
    /// attached Volumes' files by owner (<c>chown</c> in the QEMU driver) and gives them back at detach, so the mode
    /// never has to open up for it.
    /// </summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Options that create a new file of the pool, owner-only from its first byte on.</summary>
    public static FileStreamOptions NewFile(FileAccess access)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = access, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnly;
        return options;
    }

    private readonly ConcurrentDictionary<string, VolumeRecord> _volumes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _reserved = new(StringComparer.Ordinal);
    private readonly VolumePoolOptions _options;
    private readonly ILogger<VolumePool> _logger;

    public VolumePool(VolumePoolOptions options, ILogger<VolumePool> logger)
    {
        _options = options;
        _logger = logger;
        Directory = options.Directory;
        CapacityKiB = options.ConfiguredKiB ?? options.FileSystemKiB;
        Open();
    }

    public string Directory { get; }

    /// <summary>What the pool offers; see <see cref="ShareFileSystem"/> for a pool on the drivers' file system.</summary>
    public long CapacityKiB { get; private set; }

    public string? PathOf(string volumeKey) => _volumes.ContainsKey(volumeKey) ? DataOf(volumeKey) : null;

    public string? FormatOf(string volumeKey) => _volumes.TryGetValue(volumeKey, out var record) ? record.Format : null;

    /// <summary>The Volume's record, or null when this pool does not hold it.</summary>
    public VolumeRecord? Find(string volumeKey) => _volumes.GetValueOrDefault(volumeKey);

    /// <summary>Every Volume in the pool.</summary>
    public IReadOnlyList<VolumeRecord> List() => [.. _volumes.Values.OrderBy(r => r.Key, StringComparer.Ordinal)];

    /// <summary>The capacity promised to the Volumes in the pool, in KiB.</summary>
    public long UsedKiB => _volumes.Values.Sum(r => r.CapacityKiB);

    /// <summary>
    /// Makes the Volume <paramref name="record"/> describes: blank, or from the image bytes
    /// <paramref name="fetchImage"/> writes into the file it is given. Nothing of it remains when this fails.
    /// </summary>
    public async Task CreateAsync(VolumeRecord record, Func<string, CancellationToken, Task>? fetchImage, CancellationToken ct)
    {
        Reserve(record.Key, record.CapacityKiB);
        var data = DataOf(record.Key);
        var temporary = data + TemporarySuffix;
        try
        {
            File.Delete(temporary);
            // Made empty and owner-only before any tool writes into it (they all write into an existing file and keep
            // its mode): the bytes are never readable by others, not even half made.
            new FileStream(temporary, NewFile(FileAccess.Write)).Dispose();
            if (fetchImage is null)
            {
                await VolumeFormats.CreateBlankAsync(temporary, record.Format, record.CapacityKiB, ct);
            }
            else
            {
                await fetchImage(temporary, ct);
                await VolumeFormats.GrowFromImageAsync(temporary, record.Format, record.CapacityKiB, record.ImageLocation!, ct);
            }
            // Again in case a tool made the file anew rather than writing into it.
            RestrictToOwner(temporary);
            FlushToDisk(temporary);
            File.Move(temporary, data, overwrite: true);
            // The record last: from here on the file is a Volume, after a crash too.
            record.Write(RecordOf(record.Key));
            _volumes[record.Key] = record;
            LogCreated(record.Key, record.Format, record.CapacityKiB);
        }
        catch
        {
            File.Delete(temporary);
            if (!_volumes.ContainsKey(record.Key)) File.Delete(data);
            throw;
        }
        finally
        {
            lock (_reserved) _reserved.Remove(record.Key);
        }
    }

    /// <summary>Records that a newer generation's create found the Volume already made as it asks.</summary>
    public void Adopt(VolumeRecord record)
    {
        record.Write(RecordOf(record.Key));
        _volumes[record.Key] = record;
    }

    /// <summary>Deletes the Volume's file and record; refused, naming the users, while anything on this host uses the file.
    /// Deleting a Volume the pool does not hold succeeds.</summary>
    public async Task DeleteAsync(string volumeKey, CancellationToken ct)
    {
        var data = DataOf(volumeKey);
        if (File.Exists(data) && await VolumeUsers.OfAsync(data, ct) is { Count: > 0 } users)
            throw new DriverException(
                $"The Volume '{volumeKey}' is in use on this host by {string.Join(", ", users.Select(u => u.Who))}: detach it before deleting it.");
        // The record first: a crash between the two leaves a file without a record, removed at the next start.
        File.Delete(RecordOf(volumeKey));
        _volumes.TryRemove(volumeKey, out _);
        File.Delete(data);
        LogDeleted(volumeKey);
    }

    /// <summary>The Volume's file for a capture, after checking that nothing on this host can write to it now.</summary>
    public async Task<string> CaptureSourceAsync(string volumeKey, CancellationToken ct)
    {
        var data = PathOf(volumeKey) ?? throw new DriverException($"The Volume '{volumeKey}' is not in this host's pool.");
        var writers = (await VolumeUsers.OfAsync(data, ct)).Where(u => u.Writable).ToList();
        if (writers.Count > 0)
            throw new DriverException(
                $"The Volume '{volumeKey}' cannot be captured while {string.Join(", ", writers.Select(u => u.Who))} can write to it: detach it, or attach it read-only.");
        return data;
    }

    /// <summary>
    /// Splits a file system the pool shares with the drivers' storage (<paramref name="driverDirectories"/>) so the
    /// scheduler never promises the same bytes twice: the drivers keep <paramref name="driversDiskKiB"/> less the pool's
    /// capacity. With the default capacity, a shared file system is split in halves. Returns the drivers' disk KiB.
    /// </summary>
    public long ShareFileSystem(long driversDiskKiB, IEnumerable<string> driverDirectories)
    {
        var pool = MountPoints.DeviceOf(Directory);
        var shared = driverDirectories.Any(d => MountPoints.DeviceOf(System.IO.Directory.Exists(d) ? d : "/") == pool);
        if (!shared || driversDiskKiB <= 0) return driversDiskKiB;
        if (_options.ConfiguredKiB is null) CapacityKiB = _options.FileSystemKiB / 2;
        // At least 1 KiB: 0 would mean "disk not accounted", the opposite of "the pool took it all".
        var left = Math.Max(1, driversDiskKiB - CapacityKiB);
        LogShared(pool, CapacityKiB, left);
        return left;
    }

    private void Reserve(string volumeKey, long capacityKiB)
    {
        lock (_reserved)
        {
            var promised = UsedKiB + _reserved.Values.Sum();
            if (promised + capacityKiB > CapacityKiB)
                throw new DriverException(
                    $"The volume pool of this host has {Math.Max(0, CapacityKiB - promised)} KiB left of {CapacityKiB} KiB; the Volume '{volumeKey}' needs {capacityKiB} KiB.");
            _reserved[volumeKey] = capacityKiB;
        }
    }

    /// <summary>Reads the pool and removes what interrupted operations left: temporary files, files without a
    /// record, records without a file.</summary>
    private void Open()
    {
        var removed = 0;
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
        {
            if (!file.EndsWith(TemporarySuffix, StringComparison.Ordinal)) continue;
            File.Delete(file);
            removed++;
        }
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*" + RecordSuffix))
        {
            var record = VolumeRecord.Read(file);
            if (record is null || RecordOf(record.Key) != file || !File.Exists(DataOf(record.Key)))
            {
                LogBadRecord(file);
                File.Delete(file);
                continue;
            }
            _volumes[record.Key] = record;
            RestrictToOwner(file);
        }
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*" + DataSuffix))
        {
            if (_volumes.Values.Any(r => DataOf(r.Key) == file))
            {
                RestrictToOwner(file);
                continue;
            }
            File.Delete(file);
            removed++;
        }
        LogOpened(Directory, _volumes.Count, CapacityKiB, removed);
    }

    /// <summary>The file loses what group and others could do with it: one a tool made anew, or one a pool made before files
    /// were owner-only (mode 0644). Its owner is kept: a Volume attached to a VM belongs to the VM's uid.</summary>
    private static void RestrictToOwner(string file)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(file);
        if ((mode & ~OwnerOnly) != 0) File.SetUnixFileMode(file, mode & OwnerOnly);
    }

    private string DataOf(string volumeKey) => Path.Combine(Directory, Hash(volumeKey) + DataSuffix);

    private string RecordOf(string volumeKey) => Path.Combine(Directory, Hash(volumeKey) + RecordSuffix);

    private static string Hash(string volumeKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volumeKey)));

    private static void FlushToDisk(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Volume pool {Directory}: {Count} volumes, {CapacityKiB} KiB offered; removed {Removed} leftovers of interrupted operations")]
    private partial void LogOpened(string directory, int count, long capacityKiB, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Volume pool: removed {File}, a record without a readable Volume file")]
    private partial void LogBadRecord(string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "{VolumeKey}: created ({Format}, {CapacityKiB} KiB)")]
    private partial void LogCreated(string volumeKey, string format, long capacityKiB);

    [LoggerMessage(Level = LogLevel.Information, Message = "{VolumeKey}: deleted")]
    private partial void LogDeleted(string volumeKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "The volume pool shares its file system (device {Device}) with the drivers' storage: the pool offers {PoolKiB} KiB, the drivers {DiskKiB} KiB")]
    private partial void LogShared(string device, long poolKiB, long diskKiB);
}
