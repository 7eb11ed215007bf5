extern alias agents;
using System.Diagnostics;
using agents::CimiGrains.Agents.Volumes;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// A volume pool for driver tests: a temporary directory (mode 0755, so VMs' uids can pass) with one file
/// per Volume, made as the real pool makes them (a sparse file, mkfs.ext4 for ext4, qemu-img for qcow2).
/// Knows nothing of the agent's own pool: the drivers need only <see cref="IVolumePool.PathOf"/> and
/// <see cref="IVolumePool.FormatOf"/>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TestVolumePool : IVolumePool, IDisposable
{
    private readonly Dictionary<string, (string Path, string Format)> _volumes = new(StringComparer.Ordinal);
    private readonly DirectoryInfo _root;

    public TestVolumePool()
    {
        _root = System.IO.Directory.CreateTempSubdirectory("cimi-volpool-");
        File.SetUnixFileMode(_root.FullName, (UnixFileMode)0x1ED); // 0755
    }

    public string Directory => _root.FullName;

    public long CapacityKiB => 1024 * 1024;

    public string? PathOf(string volumeKey) => _volumes.TryGetValue(volumeKey, out var v) ? v.Path : null;

    public string? FormatOf(string volumeKey) => _volumes.TryGetValue(volumeKey, out var v) ? v.Format : null;

    /// <summary>Makes Volume <paramref name="volumeKey"/> of <paramref name="mib"/> MiB in <paramref name="format"/>; returns its file.</summary>
    public async Task<string> CreateAsync(string volumeKey, int mib, string format = "ext4")
    {
        var path = System.IO.Path.Combine(Directory, $"vol-{_volumes.Count}.img");
        if (format == "qcow2")
        {
            await RunAsync("qemu-img", "create", "-q", "-f", "qcow2", path, $"{mib}M");
        }
        else
        {
            await RunAsync("truncate", "-s", $"{mib}M", path);
            if (format == "ext4") await RunAsync("mkfs.ext4", "-F", "-q", "-m", "0", path);
        }
        _volumes[volumeKey] = (path, format);
        return path;
    }

    /// <summary>The loop devices the kernel has over any file of this pool (<c>losetup -a</c>'s lines naming it).</summary>
    public async Task<IReadOnlyList<string>> LoopDevicesAsync() =>
        (await RunAsync("losetup", "-a")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Contains(Directory, StringComparison.Ordinal)).ToList();

    /// <summary>Waits (bounded) until no loop device is left over this pool. The kernel frees an autoclear loop device
    /// after the unmount returns, lazily: on a busy machine <c>losetup -a</c> still lists it for a moment.</summary>
    public async Task<IReadOnlyList<string>> LoopDevicesGoneAsync() =>
        await Eventually.Until(LoopDevicesAsync, l => l.Count == 0, $"the loop devices over {Directory} to be freed", TimeSpan.FromSeconds(15));

    public static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Cannot run {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
        return await stdout;
    }

    /// <summary>Removes what a failed test may have left over this pool's files (loop devices), then the files.</summary>
    public void Dispose()
    {
        foreach (var line in LoopDevicesAsync().GetAwaiter().GetResult())
            RunAsync("losetup", "-d", line.Split(':')[0]).GetAwaiter().GetResult();
        _root.Delete(recursive: true);
    }
}
