extern alias agents;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Agents.Qemu;

/// <summary>
/// A QEMU agent's host as the tests see it from outside the agent: its runtime and image directories,
/// the qemu processes of a Machine (from /proc, not from the agent), and the demo VM image.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuHost : IDisposable
{
    private readonly DirectoryInfo _root;

    public QemuHost()
    {
        // Under /tmp, mode 0711: the VMs' unprivileged uids must pass through every directory above their files.
        _root = Directory.CreateTempSubdirectory("cimi-qemu-");
        File.SetUnixFileMode(_root.FullName, (UnixFileMode)0x1C9); // 0711
        RuntimeDirectory = Path.Combine(_root.FullName, "run");
        ImagesDirectory = Path.Combine(_root.FullName, "images");
        Directory.CreateDirectory(ImagesDirectory);
        File.SetUnixFileMode(ImagesDirectory, (UnixFileMode)0x1ED); // 0755
    }

    public string RuntimeDirectory { get; }
    public string ImagesDirectory { get; }

    /// <summary>The agent's volume pool: under this host's root too, so the VMs' uids can reach the Volumes' files (the
    /// agent's state directory, the pool's default place, lets no other uid pass).</summary>
    public string VolumePoolDirectory => Path.Combine(_root.FullName, "volumes");

    /// <summary>The agent settings that point the QEMU driver (and the volume pool) at this host's directories.</summary>
    public Dictionary<string, string> AgentEnvironment => new()
    {
        ["CIMI_AGENT_QEMU"] = "qemu-system-x86_64",
        ["CIMI_AGENT_QEMU_ACCEL"] = "auto",
        ["CIMI_AGENT_QEMU_DIR"] = RuntimeDirectory,
        ["CIMI_AGENT_QEMU_IMAGES"] = ImagesDirectory,
        ["CIMI_AGENT_QEMU_CONSOLE_BYTES"] = "65536",
        ["CIMI_AGENT_VOLUME_POOL"] = VolumePoolDirectory,
    };

    /// <summary>A QEMU driver in the test's own process on this host's directories, as the agent of host
    /// <paramref name="hostId"/> keeping its state in <paramref name="stateDirectory"/> runs it (no controller behind it), with the
    /// volume pool <paramref name="volumePool"/> if given.</summary>
    public agents::CimiGrains.Agents.Drivers.IMachineDriver NewDriver(string hostId, string stateDirectory, agents::CimiGrains.Agents.Networks.INetworkPlane? plane = null,
        string? volumePool = null)
    {
        var options = new agents::CimiGrains.Agents.AgentOptions
        {
            HostId = hostId, Controllers = [new Uri("http://127.0.0.1:1")], Secret = "unused", StateDirectory = stateDirectory,
        };
        return new agents::CimiGrains.Agents.Qemu.QemuErrors(new agents::CimiGrains.Agents.Qemu.QemuDriver(options, new agents::CimiGrains.Agents.Qemu.QemuDriverOptions
        {
            ImagesDirectory = ImagesDirectory, RuntimeDirectory = RuntimeDirectory, ConsoleBytes = 65536,
        }, Microsoft.Extensions.Logging.Abstractions.NullLogger<agents::CimiGrains.Agents.Qemu.QemuDriver>.Instance, plane,
            volumePool is null ? null : new agents::CimiGrains.Agents.Volumes.VolumePoolOptions { Directory = volumePool, FileSystemKiB = 1024 * 1024 }));
    }

    /// <summary>Fails the test run at once, saying how to fix it, when QEMU or its tools are missing.</summary>
    public static void RequireQemu()
    {
        foreach (var tool in new[] { "qemu-system-x86_64", "qemu-img", "genisoimage", "setpriv" })
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(tool, ["--version"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                p.WaitForExit();
                if (p.ExitCode == 0) continue;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
            throw new InvalidOperationException($"{tool} is missing: the QEMU tests need QEMU 7.2, qemu-utils, genisoimage and setpriv (scripts/qemu.sh ensure installs them; ./test.sh runs it).");
        }
    }

    /// <summary>Puts the demo VM image into this host's image directory as <c>demo-vm/</c>: built once by
    /// scripts/demo-vm.sh into a cache shared by test runs (or taken from CIMI_TEST_DEMO_VM_DIR, which test.sh sets).</summary>
    public async Task InstallDemoVmAsync()
    {
        var built = Environment.GetEnvironmentVariable("CIMI_TEST_DEMO_VM_DIR") is { Length: > 0 } prebuilt ? prebuilt : await BuildDemoVmAsync();
        var target = Path.Combine(ImagesDirectory, "demo-vm");
        Directory.CreateDirectory(target);
        foreach (var file in new[] { "vmlinuz", "initrd.img", "disk.qcow2", "image.json" })
        {
            File.Copy(Path.Combine(built, file), Path.Combine(target, file));
            File.SetUnixFileMode(Path.Combine(target, file), (UnixFileMode)0x1A4); // 0644
        }
    }

    private static async Task<string> BuildDemoVmAsync()
    {
        var script = Path.Combine(TestEnvironment.RepositoryRoot, "scripts", "demo-vm.sh");
        if (!File.Exists(script)) throw new InvalidOperationException($"{script} is missing: it builds the demo VM image the QEMU tests boot.");
        var cache = Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "cimigrains", "test-images");
        var (code, output) = await RunAsync(script, cache);
        if (code != 0) throw new InvalidOperationException($"scripts/demo-vm.sh {cache} failed ({code}):\n{output}");
        return Path.Combine(cache, "demo-vm");
    }

    /// <summary>The runtime directory of the Machine <paramref name="key"/> (from the records beside them), or null.</summary>
    public string? DirectoryOf(string key)
    {
        if (!Directory.Exists(RuntimeDirectory)) return null;
        foreach (var record in Directory.EnumerateFiles(RuntimeDirectory, "m-*.json"))
        {
            if (JsonNode.Parse(File.ReadAllText(record))?["machineKey"]?.GetValue<string>() == key) return record[..^".json".Length];
        }
        return null;
    }

    /// <summary>Every qemu process on this machine that belongs to this host's runtime directory (from /proc).</summary>
    public IReadOnlyList<(int Pid, string[] Arguments)> Processes()
    {
        var found = new List<(int, string[])>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) continue;
                if (args.Length > 0 && Path.GetFileName(args[0]).StartsWith("qemu-system", StringComparison.Ordinal)
                    && args.Any(a => a.Contains(RuntimeDirectory + "/", StringComparison.Ordinal)))
                    found.Add((pid, args));
            }
            catch (IOException)
            {
                // Exited while being read.
            }
        }
        return found;
    }

    /// <summary>The qemu processes of the Machine <paramref name="key"/>.</summary>
    public IReadOnlyList<(int Pid, string[] Arguments)> ProcessesOf(string key) =>
        DirectoryOf(key) is { } dir ? Processes().Where(p => p.Arguments.Contains(Path.Combine(dir, "qemu.pid"))).ToList() : [];

    /// <summary>The Machine's console log on the host (both files, older first).</summary>
    public string ConsoleOf(string key)
    {
        if (DirectoryOf(key) is not { } dir) return "";
        var older = Path.Combine(dir, "console.log.1");
        var current = Path.Combine(dir, "console.log");
        return (File.Exists(older) ? File.ReadAllText(older) : "") + (File.Exists(current) ? File.ReadAllText(current) : "");
    }

    /// <summary>Waits until the console shows a line containing <paramref name="marker"/> (the guest is slow under TCG).</summary>
    public Task<string> WaitConsoleAsync(string key, Func<string, bool> seen, string what, int seconds = 120) =>
        Eventually.Until(() => Task.FromResult(ConsoleOf(key)), seen, $"the console of {key} to show {what}", TimeSpan.FromSeconds(seconds));

    public static async Task<(int Code, string Output)> RunAsync(string file, params string[] arguments)
    {
        using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await output + await error);
    }

    /// <summary>Kills what the tests' agents left running here and removes the directories.</summary>
    public void Dispose()
    {
        foreach (var (pid, _) in Processes())
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill();
                p.WaitForExit(5000);
            }
            catch (ArgumentException)
            {
            }
        }
        _root.Delete(recursive: true);
    }
}
