using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Protocol;
using CimiGrains.Agents.Qemu;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Volumes;

/// <summary>
/// Serves this host's Volumes over NBD to VMs on other hosts (docs/VOLUMES.md, "Across hosts"): one
/// <c>qemu-storage-daemon</c> per exported Volume, listening on the export's port at <c>CIMI_AGENT_NBD_LISTEN</c>,
/// TLS with pre-shared keys only (no plain NBD), admitting the identities in its own key file. One daemon per
/// Volume because NBD authorizes per server, not per export: a key given for one Volume must open no other.
/// The daemons run detached from the agent, so VMs keep their disks while the agent restarts; each lives in a
/// directory of its own (<c>{state}/nbd-exports/{hash}</c>) whose pid file and record let a new agent adopt it.
/// The cluster sends the whole list (<see cref="ApplyAsync"/>): what it leaves out is stopped and removed.
/// </summary>
public sealed partial class VolumeExportServer(VolumePoolOptions pool, IVolumePool volumes, AgentOptions agent, ILogger<VolumeExportServer> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _latestLock = new();
    private IReadOnlyList<VolumeExport>? _latest;

    private string Root => Path.Combine(agent.StateDirectory, "nbd-exports");

    /// <summary>The address other hosts reach the exports at (registered), or null when this host exports none.</summary>
    public string? Host => pool.NbdHost;

    /// <summary>Takes the cluster's newest list and applies it in the background, without holding up the agent's
    /// stream: each list is the whole truth, so lists that arrive while one is applied collapse into the newest.</summary>
    public void Submit(IReadOnlyList<VolumeExport> exports, CancellationToken ct)
    {
        lock (_latestLock)
        {
            var idle = _latest is null;
            _latest = exports;
            if (idle) _ = Task.Run(() => DrainAsync(ct), ct);
        }
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        while (true)
        {
            IReadOnlyList<VolumeExport> next;
            lock (_latestLock) next = _latest!;
            await ApplyAsync(next, ct);
            lock (_latestLock)
            {
                if (ReferenceEquals(_latest, next))
                {
                    _latest = null;
                    return;
                }
            }
        }
    }

    /// <summary>Makes the running exports exactly <paramref name="exports"/>. Never throws for one export: each failure is
    /// logged and retried with the next list, so one bad Volume never stops the others being served.</summary>
    public async Task ApplyAsync(IReadOnlyList<VolumeExport> exports, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            Directory.CreateDirectory(Root);
            var wanted = exports.ToDictionary(e => DirectoryName(e.VolumeId), StringComparer.Ordinal);
            foreach (var left in Directory.EnumerateDirectories(Root).Select(Path.GetFileName).Where(d => !wanted.ContainsKey(d!)).ToList())
                await StopAsync(Path.Combine(Root, left!), ct);
            foreach (var (name, export) in wanted)
            {
                try
                {
                    await EnsureAsync(Path.Combine(Root, name), export, ct);
                }
                catch (Exception e) when (e is DriverException or IOException)
                {
                    LogExportFailed(export.VolumeId, e.Message);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task EnsureAsync(string directory, VolumeExport export, CancellationToken ct)
    {
        if (Host is null) throw new DriverException("This host exports no Volumes: set CIMI_AGENT_NBD_HOST.");
        var path = volumes.PathOf(export.VolumeId) ?? throw new DriverException($"Volume {export.VolumeId} is not in this host's pool.");
        var record = new ExportRecord(export.VolumeId, export.Port, export.Writable, path);
        Directory.CreateDirectory(directory);
        // The key file first: the daemon reads it at every handshake, so a client added or dropped takes effect at once.
        WriteAtomically(Path.Combine(directory, "keys.psk"), string.Concat(export.Clients.Select(c => $"{c.Identity}:{c.Psk}\n")), secret: true);
        var running = Running(directory);
        if (running is not null && ReadRecord(directory) == record) return;
        if (running is not null) await StopProcessAsync(running.Value, ct);
        WriteAtomically(Path.Combine(directory, "export.json"), JsonSerializer.Serialize(record), secret: false);
        await HostCommand.RunAsync("qemu-storage-daemon", Arguments(directory, record, VolumeFormatOf(export.VolumeId)), ct);
        LogExported(export.VolumeId, export.Port, export.Clients.Count);
    }

    private string VolumeFormatOf(string volumeId) => volumes.FormatOf(volumeId) ?? "raw";

    /// <summary>The daemon's command line: the file (its format opened here, so a qcow2 Volume is served as its
    /// contents), the TLS-only NBD server on the export's port, and the export, writable only when a client may write.</summary>
    private IEnumerable<string> Arguments(string directory, ExportRecord record, string format)
    {
        var qcow2 = format == "qcow2";
        var writable = record.Writable ? "on" : "off";
        List<string> args =
        [
            "--blockdev", $"driver=file,filename={Escape(record.Path)},node-name=file,read-only={(record.Writable ? "off" : "on")}",
        ];
        if (qcow2) args.AddRange(["--blockdev", $"driver=qcow2,file=file,node-name=volume,read-only={(record.Writable ? "off" : "on")}"]);
        args.AddRange(
        [
            "--object", $"tls-creds-psk,id=tls,endpoint=server,dir={Escape(directory)}",
            "--nbd-server", $"addr.type=inet,addr.host={Escape(pool.NbdListen!)},addr.port={record.Port},tls-creds=tls",
            "--export", $"type=nbd,id=export,node-name={(qcow2 ? "volume" : "file")},name={Escape(record.VolumeId)},writable={writable}",
            "--pidfile", Path.Combine(directory, "pid"),
            "--daemonize",
        ]);
        return args;
    }

    /// <summary>The daemon of <paramref name="directory"/> when it runs: its pid file names a live qemu-storage-daemon
    /// whose command line is about this directory (a recycled pid is some other process).</summary>
    private static int? Running(string directory)
    {
        try
        {
            if (!int.TryParse(File.ReadAllText(Path.Combine(directory, "pid")).Trim(), out var pid)) return null;
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains("qemu-storage-daemon", StringComparison.Ordinal) && cmdline.Contains(directory, StringComparison.Ordinal) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private async Task StopAsync(string directory, CancellationToken ct)
    {
        if (Running(directory) is { } pid) await StopProcessAsync(pid, ct);
        Directory.Delete(directory, recursive: true);
        LogUnexported(Path.GetFileName(directory));
    }

    /// <summary>SIGTERM, then SIGKILL after a few seconds: the daemon only serves, it has nothing to save.</summary>
    private static async Task StopProcessAsync(int pid, CancellationToken ct)
    {
        using var process = System.Diagnostics.Process.GetProcessById(pid);
        await HostCommand.TryRunAsync("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            process.Kill();
            await process.WaitForExitAsync(ct);
        }
    }

    private static ExportRecord? ReadRecord(string directory)
    {
        try
        {
            return JsonSerializer.Deserialize<ExportRecord>(File.ReadAllText(Path.Combine(directory, "export.json")));
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    private static void WriteAtomically(string path, string text, bool secret)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        if (secret && !OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A directory name per Volume that no Volume key can escape from (keys hold a '/').</summary>
    private static string DirectoryName(string volumeId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volumeId)))[..16];

    private static string Escape(string value) => value.Replace(",", ",,", StringComparison.Ordinal);

    /// <summary>What a daemon was started with: a change of any of it restarts the daemon.</summary>
    private sealed record ExportRecord(string VolumeId, int Port, bool Writable, string Path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Exporting Volume {VolumeId} over NBD on port {Port} to {Clients} client(s)")]
    private partial void LogExported(string volumeId, int port, int clients);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped the NBD export in {Directory}")]
    private partial void LogUnexported(string? directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The NBD export of Volume {VolumeId} could not be served: {Reason}")]
    private partial void LogExportFailed(string volumeId, string reason);
}
