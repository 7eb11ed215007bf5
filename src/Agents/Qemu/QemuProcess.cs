using System.Diagnostics;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// Finding a Machine's QEMU process from host truth: the pid in its pidfile, accepted only if
/// <c>/proc/PID/cmdline</c> is a QEMU naming that Machine's directory (pids are reused) and the process
/// is not a zombie.
/// </summary>
public static class QemuProcess
{
    /// <summary>The Machine's live QEMU process id, or null.</summary>
    public static int? Find(MachineDirectory directory)
    {
        string text;
        try
        {
            text = File.ReadAllText(directory.PidFile).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return int.TryParse(text, out var pid) && IsQemuOf(pid, directory) ? pid : null;
    }

    /// <summary>Whether <paramref name="pid"/> is alive and is the QEMU of <paramref name="directory"/>.</summary>
    public static bool IsQemuOf(int pid, MachineDirectory directory)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            if (!arguments.Contains(directory.PidFile)) return false;
            // The state letter follows the parenthesised command name, which may itself hold ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state is not ('Z' or 'X' or '\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    /// <summary>Waits until the process is gone; false when <paramref name="timeout"/> passes first.</summary>
    public static async Task<bool> WaitExitAsync(int pid, MachineDirectory directory, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (IsQemuOf(pid, directory))
        {
            if (deadline.Elapsed > timeout) return false;
            await Task.Delay(100, ct);
        }
        return true;
    }

    /// <summary>SIGKILL, then waits for it to be gone.</summary>
    public static async Task KillAsync(int pid, MachineDirectory directory, CancellationToken ct)
    {
        if (!IsQemuOf(pid, directory)) return;
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited meanwhile.
        }
        if (!await WaitExitAsync(pid, directory, TimeSpan.FromSeconds(10), ct))
            throw new Drivers.DriverException($"The QEMU process {pid} of {directory.Name} does not exit after SIGKILL.");
    }
}
