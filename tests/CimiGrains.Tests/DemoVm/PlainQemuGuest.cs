using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CimiGrains.Tests.DemoVm;

/// <summary>
/// The demo VM image (<c>CIMI_TEST_DEMO_VM_DIR</c>, built by test.sh with scripts/demo-vm.sh) booted by
/// plain <c>qemu-system-x86_64</c> under TCG, the way its image.json says, with a NoCloud seed made by
/// genisoimage and no NIC: the guest's side of the contract the QEMU driver relies on, without the driver.
/// Everything lives in one temporary directory (overlay, seed, console log, QMP socket), removed on dispose
/// together with the process.
/// </summary>
public sealed partial class PlainQemuGuest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private PlainQemuGuest(Process process, string dir)
    {
        _process = process;
        _dir = dir;
    }

    /// <summary>The demo VM image directory (holding image.json) test.sh built.</summary>
    public static string ImageDirectory =>
        Environment.GetEnvironmentVariable("CIMI_TEST_DEMO_VM_DIR") is { Length: > 0 } dir && File.Exists(Path.Combine(dir, "image.json"))
            ? dir
            : throw new InvalidOperationException(
                "CIMI_TEST_DEMO_VM_DIR names no demo VM image: run the tests with ./test.sh, which builds it with scripts/demo-vm.sh.");

    public string ConsoleLog => Path.Combine(_dir, "console.log");
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Boots the image with a seed holding <paramref name="metaData"/> and <paramref name="userData"/>.</summary>
    public static async Task<PlainQemuGuest> StartAsync(string metaData, string userData)
    {
        var image = ImageDirectory;
        var boot = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(image, "image.json")))!;
        var dir = Directory.CreateTempSubdirectory("cimi-demovm-").FullName;
        try
        {
            var seed = Path.Combine(dir, "seed");
            Directory.CreateDirectory(seed);
            await File.WriteAllTextAsync(Path.Combine(seed, "meta-data"), metaData);
            await File.WriteAllTextAsync(Path.Combine(seed, "user-data"), userData);
            await RunAsync("genisoimage", "-quiet", "-output", Path.Combine(dir, "seed.iso"), "-volid", "cidata", "-joliet", "-rock",
                Path.Combine(seed, "meta-data"), Path.Combine(seed, "user-data"));
            await RunAsync("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                "-b", Path.Combine(image, boot["disk"]!.GetValue<string>()), Path.Combine(dir, "disk.qcow2"));
            var info = new ProcessStartInfo("qemu-system-x86_64",
            [
                "-accel", "tcg", "-m", "256", "-smp", "1", "-nographic", "-nodefaults", "-no-user-config",
                "-kernel", Path.Combine(image, boot["kernel"]!.GetValue<string>()),
                "-initrd", Path.Combine(image, boot["initrd"]!.GetValue<string>()),
                "-append", boot["cmdline"]!.GetValue<string>(),
                "-drive", $"file={Path.Combine(dir, "disk.qcow2")},if=virtio,format=qcow2",
                "-drive", $"file={Path.Combine(dir, "seed.iso")},if=virtio,format=raw,readonly=on",
                "-serial", $"file:{Path.Combine(dir, "console.log")}",
                "-qmp", $"unix:{Path.Combine(dir, "qmp.sock")},server=on,wait=off",
                "-nic", "none",
            ])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            var process = Process.Start(info) ?? throw new InvalidOperationException("qemu-system-x86_64 did not start");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new PlainQemuGuest(process, dir);
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file, args) { RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {error}");
    }

    /// <summary>The console so far, CRs removed.</summary>
    public string Console()
    {
        if (!File.Exists(ConsoleLog)) return "";
        using var stream = new FileStream(ConsoleLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().Replace("\r", "");
    }

    /// <summary>The marker lines (without the "CIMIGRAINS-DEMO-VM " prefix) so far.</summary>
    public IReadOnlyList<string> Markers() =>
        Console().Split('\n').Select(l => MarkerLine().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value.TrimEnd()).ToList();

    /// <summary>Waits until <paramref name="count"/> marker lines match <paramref name="pattern"/>; returns the last of them.</summary>
    public async Task<Match> WaitForMarkerAsync(string pattern, int count = 1, TimeSpan? timeout = null)
    {
        var regex = new Regex(pattern);
        var markers = await Eventually.Until(() => Task.FromResult(Markers()),
            m => m.Count(l => regex.IsMatch(l)) >= count || _process.HasExited,
            $"{count} console marker(s) matching '{pattern}'", timeout ?? TimeSpan.FromSeconds(120));
        var matches = markers.Select(l => regex.Match(l)).Where(m => m.Success).ToList();
        if (matches.Count < count) throw new InvalidOperationException($"QEMU exited before '{pattern}'; console:\n{Console()}");
        return matches[count - 1];
    }

    /// <summary>One QMP command on a fresh connection; returns its answer (a "return" or an "error").</summary>
    public async Task<JsonNode> QmpAsync(string command)
    {
        var path = Path.Combine(_dir, "qmp.sock");
        await Eventually.Until(() => Task.FromResult(File.Exists(path)), e => e, "the QMP socket");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream);
        await using var writer = new StreamWriter(stream) { AutoFlush = true, NewLine = "\n" };
        await reader.ReadLineAsync(); // the greeting
        async Task<JsonNode> Execute(string name)
        {
            await writer.WriteLineAsync(new JsonObject { ["execute"] = name }.ToJsonString());
            while (await reader.ReadLineAsync() is { } line)
            {
                var answer = JsonNode.Parse(line)!;
                if (answer["return"] is not null || answer["error"] is not null) return answer;
            }
            throw new InvalidOperationException($"QMP closed before answering {name}");
        }
        await Execute("qmp_capabilities");
        return await Execute(command);
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [GeneratedRegex("^CIMIGRAINS-DEMO-VM (.*)$")]
    private static partial Regex MarkerLine();
}
