using System.Globalization;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Drivers;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// The Machine actions as QEMU does them. Each is idempotent (asking for the state the VM is in succeeds)
/// and acts on host truth: the live process and QEMU's own run state. Suspend saves the guest's RAM and
/// device state to <c>suspend.state</c> by migration and ends the process; start restores it exactly.
/// </summary>
public sealed partial class QemuDriver
{
    public async Task<WorkloadStatus> StartAsync(string machineKey, CancellationToken ct)
    {
        var (directory, record) = Require(machineKey);
        if (QemuProcess.Find(directory) is { } pid)
        {
            var status = await RunStatusAsync(machineKey, directory, pid, ct);
            if (status == "inmigrate")
            {
                // A restore the agent did not finish: start it over from the saved state, which is still there.
                await QemuProcess.KillAsync(pid, directory, ct);
            }
            else
            {
                // A live process is newer than any saved state left by a suspend cut short.
                DropSavedState(directory);
                if (status is not null and not "running") await QmpExecuteAsync(machineKey, directory, pid, "cont", null, ct);
                return await InspectAsync(machineKey, ct);
            }
        }
        if (!record.Started) (record with { Started = true }).Write(directory.RecordFile);
        // Recorded Started, QEMU not launched yet: where SystemCrashRigTests ends the agent's session (the silo killed).
        await TestPause.AtAsync("qemu-start:recorded", ct);
        var restore = File.Exists(directory.SuspendedState);
        var launched = await LaunchAsync(machineKey, directory, record, restore, ct);
        if (restore)
        {
            // The saved state is read by QEMU itself (as the VM's uid) from the file in its directory.
            await QmpExecuteAsync(machineKey, directory, launched, "migrate-incoming",
                new JsonObject { ["uri"] = $"exec:cat '{directory.SuspendedState}'" }, ct);
            await WaitRunStateAsync(machineKey, directory, launched, s => s != "inmigrate", "the saved state to be loaded", ct);
            await QmpExecuteAsync(machineKey, directory, launched, "cont", null, ct);
            DropSavedState(directory);
            LogRestored(machineKey);
        }
        return await InspectAsync(machineKey, ct);
    }

    /// <summary>Launches the VM's QEMU (it daemonizes once its devices are set up, so a bad disk or option
    /// fails here with QEMU's message) and connects to its monitor; returns its pid.</summary>
    private async Task<int> LaunchAsync(string machineKey, MachineDirectory directory, MachineRecord record, bool incoming, CancellationToken ct)
    {
        File.Delete(directory.PidFile);
        record = await PrepareTapsAsync(machineKey, directory, record, ct);
        // Its Volumes' files given to its uid again: a pool file is 0600, and another VM sharing one read-only may have
        // taken it since (or given it back to root at its detach). A running VM keeps the file it opened either way.
        foreach (var volume in record.Volumes.Where(v => v.Path is not null)) await GrantVolumeAsync(record, volume, ct);
        var command = QemuCommandLine.For(qemu.Binary, _accelerator.Accelerator, directory, record, UidOf(record), _kvmGroup, incoming);
        await WaitForExportsAsync(record, ct);
        // A network plane built in a namespace of its own (CIMI_AGENT_NETWORK_NAMESPACE) has its taps there, and QEMU opens
        // its taps by name in its own network namespace: it is started in the plane's.
        if (options.NetworkNamespace is { } netns)
            await HostCommand.RunAsync("nsenter", [$"--net=/run/netns/{netns}", "--", "setpriv", .. command], ct, workingDirectory: directory.Path);
        else
            await HostCommand.RunAsync("setpriv", command, ct, workingDirectory: directory.Path);
        var pid = QemuProcess.Find(directory) ?? throw new DriverException($"QEMU started for {machineKey} but its process cannot be found.");
        await QmpAsync(machineKey, directory, pid, ct);
        LogLaunched(machineKey, pid, record.Cpu, record.MemoryKiB);
        return pid;
    }

    public async Task<WorkloadStatus> StopAsync(string machineKey, bool force, CancellationToken ct)
    {
        var (directory, _) = Require(machineKey);
        if (QemuProcess.Find(directory) is not { } pid) return await InspectAsync(machineKey, ct);
        DropSavedState(directory);
        if (!force)
        {
            // A paused guest cannot answer the power button: let it run to shut down.
            if (await RunStatusAsync(machineKey, directory, pid, ct) is "paused") await QmpExecuteAsync(machineKey, directory, pid, "cont", null, ct);
            await QmpExecuteAsync(machineKey, directory, pid, "system_powerdown", null, ct);
            if (await QemuProcess.WaitExitAsync(pid, directory, TimeSpan.FromSeconds(options.StopTimeoutSeconds), ct))
                return await InspectAsync(machineKey, ct);
            LogPowerdownTimedOut(machineKey, options.StopTimeoutSeconds);
        }
        await QuitAsync(machineKey, directory, pid, ct);
        return await InspectAsync(machineKey, ct);
    }

    /// <summary>Ends the process at once: QMP quit, then SIGKILL if it does not go.</summary>
    private async Task QuitAsync(string machineKey, MachineDirectory directory, int pid, CancellationToken ct)
    {
        try
        {
            await QmpExecuteAsync(machineKey, directory, pid, "quit", null, ct);
        }
        catch (DriverException)
        {
            // The connection closes as it quits, sometimes before the reply: the wait below decides.
        }
        if (!await QemuProcess.WaitExitAsync(pid, directory, TimeSpan.FromSeconds(5), ct)) await QemuProcess.KillAsync(pid, directory, ct);
    }

    public async Task<WorkloadStatus> RestartAsync(string machineKey, bool force, CancellationToken ct)
    {
        var (directory, _) = Require(machineKey);
        if (QemuProcess.Find(directory) is not { } pid)
        {
            // A restart boots afresh: a suspended VM's saved state is dropped, not resumed.
            DropSavedState(directory);
            return await StartAsync(machineKey, ct);
        }
        DropSavedState(directory);
        var status = await RunStatusAsync(machineKey, directory, pid, ct);
        await QmpExecuteAsync(machineKey, directory, pid, "system_reset", null, ct);
        if (status is not null and not "running") await QmpExecuteAsync(machineKey, directory, pid, "cont", null, ct);
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> PauseAsync(string machineKey, CancellationToken ct)
    {
        var (directory, _) = Require(machineKey);
        if (QemuProcess.Find(directory) is not { } pid) throw new DriverException($"The VM of {machineKey} is not running; only a running VM can be paused.");
        if (await RunStatusAsync(machineKey, directory, pid, ct) == "running") await QmpExecuteAsync(machineKey, directory, pid, "stop", null, ct);
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> SuspendAsync(string machineKey, CancellationToken ct)
    {
        var (directory, _) = Require(machineKey);
        if (QemuProcess.Find(directory) is not { } pid)
        {
            if (File.Exists(directory.SuspendedState)) return await InspectAsync(machineKey, ct);
            throw new DriverException($"The VM of {machineKey} is not running; only a running VM can be suspended.");
        }
        var status = await RunStatusAsync(machineKey, directory, pid, ct);
        await QmpExecuteAsync(machineKey, directory, pid, "stop", null, ct);
        try
        {
            // The state is one stream to a file: no need for the network migration's bandwidth cap.
            await QmpExecuteAsync(machineKey, directory, pid, "migrate-set-parameters",
                new JsonObject { ["max-bandwidth"] = 8L * 1024 * 1024 * 1024 }, ct);
            File.Delete(directory.SuspendingState);
            await QmpExecuteAsync(machineKey, directory, pid, "migrate",
                new JsonObject { ["uri"] = $"exec:cat > '{directory.SuspendingState}'" }, ct);
            await WaitMigrationAsync(machineKey, directory, pid, ct);
        }
        catch (DriverException) when (status == "running")
        {
            // Not saved: the guest goes on as it was.
            await QmpExecuteAsync(machineKey, directory, pid, "cont", null, CancellationToken.None);
            throw;
        }
        // Complete on disk before the process goes: a crash in between leaves a paused VM and its saved state.
        File.Move(directory.SuspendingState, directory.SuspendedState, overwrite: true);
        await QuitAsync(machineKey, directory, pid, ct);
        LogSuspended(machineKey, new FileInfo(directory.SuspendedState).Length);
        return await InspectAsync(machineKey, ct);
    }

    private async Task WaitMigrationAsync(string machineKey, MachineDirectory directory, int pid, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            var info = await QmpExecuteAsync(machineKey, directory, pid, "query-migrate", null, ct);
            switch (info?["status"]?.GetValue<string>())
            {
                case "completed":
                    return;
                case "failed" or "cancelled":
                    throw new DriverException($"Saving the state of {machineKey} failed: {info?["error-desc"]?.GetValue<string>() ?? "QEMU gives no reason"}.");
            }
            if (DateTime.UtcNow > deadline) throw new DriverException($"Saving the state of {machineKey} did not finish within 5 minutes.");
            await Task.Delay(100, ct);
        }
    }

    private async Task WaitRunStateAsync(string machineKey, MachineDirectory directory, int pid, Func<string, bool> done, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            var status = await RunStatusAsync(machineKey, directory, pid, ct)
                ?? throw new DriverException($"QEMU exited while waiting for {what} ({machineKey}); see its console log.");
            if (done(status)) return;
            if (DateTime.UtcNow > deadline) throw new DriverException($"Timed out waiting for {what} ({machineKey}); QEMU is {status}.");
            await Task.Delay(100, ct);
        }
    }

    private static void DropSavedState(MachineDirectory directory)
    {
        File.Delete(directory.SuspendedState);
        File.Delete(directory.SuspendingState);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Launched the VM of {MachineKey}: pid {Pid}, {Cpu} vCPUs, {MemoryKiB} KiB")]
    private partial void LogLaunched(string machineKey, int pid, int cpu, long memoryKiB);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The guest of {MachineKey} did not power off within {Seconds} s; ending its QEMU")]
    private partial void LogPowerdownTimedOut(string machineKey, int seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Suspended the VM of {MachineKey}: {Bytes} bytes of state saved")]
    private partial void LogSuspended(string machineKey, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored the VM of {MachineKey} from its saved state")]
    private partial void LogRestored(string machineKey);
}
