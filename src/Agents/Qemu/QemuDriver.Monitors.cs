using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Protocol;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// The QMP connection of each running VM (one: QEMU serves one client per monitor), opened when the VM
/// is launched or first seen (an adopted VM after an agent restart), and how the driver learns what
/// happens to VMs: QEMU's events on those connections, the connection closing as the process dies, and a
/// once-a-second check of every known process. The same tick rotates the console logs.
/// </summary>
public sealed partial class QemuDriver
{
    private sealed record Monitor(string MachineKey, int Pid, QmpClient Qmp);

    private readonly ConcurrentDictionary<string, Monitor> _monitors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _connecting = new(StringComparer.Ordinal);
    private readonly Channel<(string MachineKey, string Detail)> _changes =
        Channel.CreateUnbounded<(string, string)>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The events that change what a VM is (the rest, such as RTC_CHANGE, are not reported).</summary>
    private static readonly HashSet<string> StateEvents = ["STOP", "RESUME", "SHUTDOWN", "RESET", "POWERDOWN", "SUSPEND", "WAKEUP", "GUEST_PANICKED"];

    /// <summary>The VM's monitor connection, opened if needed.</summary>
    private async Task<QmpClient> QmpAsync(string machineKey, MachineDirectory directory, int pid, CancellationToken ct)
    {
        if (_monitors.TryGetValue(directory.Name, out var known) && known.Pid == pid && !known.Qmp.Closed.IsCompleted) return known.Qmp;
        var gate = _connecting.GetOrAdd(directory.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (_monitors.TryGetValue(directory.Name, out known))
            {
                if (known.Pid == pid && !known.Qmp.Closed.IsCompleted) return known.Qmp;
                await known.Qmp.DisposeAsync();
            }
            var qmp = await QmpClient.ConnectAsync(directory.Qmp, name =>
            {
                if (StateEvents.Contains(name)) _changes.Writer.TryWrite((machineKey, $"QEMU event {name}."));
            }, TimeSpan.FromSeconds(10), ct);
            var monitor = new Monitor(machineKey, pid, qmp);
            _monitors[directory.Name] = monitor;
            _ = qmp.Closed.ContinueWith(_ =>
            {
                // Only the current connection's end is news; a replaced one's is not.
                if (_monitors.TryGetValue(directory.Name, out var current) && current == monitor)
                    _changes.Writer.TryWrite((machineKey, "QEMU closed its monitor connection."));
            }, TaskScheduler.Default);
            return qmp;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task ForgetMonitorAsync(MachineDirectory directory)
    {
        if (_monitors.TryRemove(directory.Name, out var monitor)) await monitor.Qmp.DisposeAsync();
    }

    /// <summary>Runs a QMP command on the VM.</summary>
    private async Task<JsonNode?> QmpExecuteAsync(string machineKey, MachineDirectory directory, int pid, string command,
        JsonObject? arguments, CancellationToken ct)
    {
        var qmp = await QmpAsync(machineKey, directory, pid, ct);
        return await qmp.ExecuteAsync(command, arguments, ct);
    }

    /// <summary>QEMU's run state (<c>running</c>, <c>paused</c>, <c>inmigrate</c>, <c>postmigrate</c>, …), or
    /// null when the process is gone.</summary>
    private async Task<string?> RunStatusAsync(string machineKey, MachineDirectory directory, int pid, CancellationToken ct)
    {
        try
        {
            var status = await QmpExecuteAsync(machineKey, directory, pid, "query-status", null, ct);
            return status?["status"]?.GetValue<string>() ?? "unknown";
        }
        catch (DriverException) when (!QemuProcess.IsQemuOf(pid, directory))
        {
            return null;
        }
    }

    public async IAsyncEnumerable<WorkloadStatus> WatchAsync([EnumeratorCancellation] CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var last = new Dictionary<string, (ObservedState State, DateTime At)>(StringComparer.Ordinal);
        var change = _changes.Reader.ReadAsync(ct).AsTask();
        var tick = timer.WaitForNextTickAsync(ct).AsTask();
        while (true)
        {
            var next = await Task.WhenAny(change, tick);
            if (next == tick)
            {
                await tick;
                tick = timer.WaitForNextTickAsync(ct).AsTask();
                foreach (var (name, monitor) in _monitors)
                {
                    var directory = new MachineDirectory(Path.Combine(qemu.RuntimeDirectory, name));
                    if (!QemuProcess.IsQemuOf(monitor.Pid, directory))
                    {
                        if (_monitors.TryRemove(new KeyValuePair<string, Monitor>(name, monitor))) await monitor.Qmp.DisposeAsync();
                        _changes.Writer.TryWrite((monitor.MachineKey, "The QEMU process exited."));
                    }
                    else
                    {
                        RotateConsole(directory);
                    }
                }
                continue;
            }
            var (machineKey, detail) = await change;
            change = _changes.Reader.ReadAsync(ct).AsTask();
            WorkloadStatus status;
            try
            {
                status = await InspectAsync(machineKey, ct);
            }
            catch (DriverException e)
            {
                LogInspectFailed(machineKey, e.Message);
                continue;
            }
            // A closed connection and an exited process (seen on the next tick) are one change: reported once.
            var isEvent = detail.StartsWith("QEMU event", StringComparison.Ordinal);
            if (!isEvent && last.TryGetValue(machineKey, out var seen) && seen.State == status.State && DateTime.UtcNow - seen.At < TimeSpan.FromSeconds(5)) continue;
            last[machineKey] = (status.State, DateTime.UtcNow);
            yield return status with { Detail = status.Detail is { } d ? $"{detail} {d}" : detail };
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not inspect the VM of {MachineKey} after a change: {Error}")]
    private partial void LogInspectFailed(string machineKey, string error);
}
