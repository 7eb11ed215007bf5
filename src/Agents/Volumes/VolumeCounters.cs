using System.Runtime.InteropServices;

namespace CimiGrains.Agents.Volumes;

/// <summary>
/// What the host sees of one Volume at one moment: the bytes its file occupies in the pool (the allocated
/// blocks of the sparse file, so it grows with what the workload writes), and the bytes the loop devices
/// backed by the file have read and written since they were set up (a container's mount; a VM's I/O goes
/// through QEMU and shows in its Machine's disk aspects).
/// </summary>
public sealed record VolumeCounters(string VolumeKey, DateTimeOffset At, long AllocatedBytes, long? ReadBytes, long? WriteBytes)
{
    private const string LoopDevices = "/sys/block";

    /// <summary>
    /// Reads each of <paramref name="volumes"/> (key and file): one stat per file and, per loop device on the
    /// host, two small sysfs reads, shared by all Volumes. A Volume whose file cannot be read (deleted
    /// meanwhile) is left out.
    /// </summary>
    public static IReadOnlyList<VolumeCounters> Read(IEnumerable<(string VolumeKey, string Path)> volumes, TimeProvider time)
    {
        var loops = LoopsByBackingFile();
        var result = new List<VolumeCounters>();
        foreach (var (key, path) in volumes)
        {
            if (AllocatedBytesOf(path) is not { } allocated) continue;
            long? read = null, written = null;
            if (loops.TryGetValue(Path.GetFullPath(path), out var devices))
            {
                foreach (var device in devices)
                {
                    if (IoBytes(device) is not { } io) continue;
                    read = (read ?? 0) + io.Read;
                    written = (written ?? 0) + io.Written;
                }
            }
            result.Add(new VolumeCounters(key, time.GetUtcNow(), allocated, read, written));
        }
        return result;
    }

    /// <summary>Loop devices by the file behind them (<c>/sys/block/loopN/loop/backing_file</c>).</summary>
    private static Dictionary<string, List<string>> LoopsByBackingFile()
    {
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        if (!Directory.Exists(LoopDevices)) return map;
        foreach (var device in Directory.EnumerateDirectories(LoopDevices, "loop*"))
        {
            try
            {
                var file = File.ReadAllText(Path.Combine(device, "loop", "backing_file")).Trim();
                // The kernel appends " (deleted)" when the file is gone; such a device backs no Volume.
                if (file.Length == 0 || file.EndsWith(" (deleted)", StringComparison.Ordinal)) continue;
                (map.TryGetValue(file, out var list) ? list : map[file] = []).Add(device);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A loop device without a backing file (unused) has no loop/ directory.
            }
        }
        return map;
    }

    /// <summary>Sectors read and written (fields 3 and 7 of the block layer's stat file; a sector is 512 bytes
    /// whatever the device's block size, Documentation/block/stat.rst).</summary>
    private static (long Read, long Written)? IoBytes(string device)
    {
        try
        {
            var fields = File.ReadAllText(Path.Combine(device, "stat")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 7 && long.TryParse(fields[2], out var read) && long.TryParse(fields[6], out var written)
                ? (read * 512, written * 512)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>st_blocks × 512 from stat(2): the space the file occupies, holes not counted. .NET exposes only
    /// the apparent length, which for a sparse Volume file is its capacity.</summary>
    private static long? AllocatedBytesOf(string path)
    {
        // struct stat is 144 bytes on x86_64 and on aarch64, and st_blocks sits at offset 64 on both.
        var buffer = new byte[256];
        if (Stat(path, buffer) != 0) return null;
        return BitConverter.ToInt64(buffer, 64) * 512;
    }

    // A byte[] of a blittable type is pinned and passed as a pointer: no unsafe code needed.
    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [In, Out] byte[] buffer);
}
