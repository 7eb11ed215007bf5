using System.Text;
using Microsoft.Win32.SafeHandles;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// The serial console log (<c>console.log</c>, which QEMU appends to). Bounded: when it reaches half of
/// <c>CIMI_AGENT_QEMU_CONSOLE_BYTES</c> the agent moves its content to <c>console.log.1</c> and truncates
/// it; QEMU writes with O_APPEND, so it simply continues at the new end. Both files together stay within
/// the bound. The files are in the VM's own directory, which the VM's uid could fill with symbolic links,
/// so the agent (root) opens them only after checking that what it opened is the path itself, and
/// writes <c>console.log.1</c> by rename, never through an existing name.
/// </summary>
public sealed partial class QemuDriver
{
    public Task<string> ReadConsoleAsync(string machineKey, int maxBytes, CancellationToken ct)
    {
        var directory = DirectoryOf(machineKey);
        if (OwnRecord(directory) is null) throw new Drivers.DriverException($"Host '{options.HostId}' has no VM for {machineKey}.");
        var current = ReadTail(directory.Console, maxBytes);
        var older = current.Length < maxBytes ? ReadTail(directory.ConsoleRotated, maxBytes - current.Length) : [];
        var text = Encoding.UTF8.GetString([.. older, .. current]);
        return Task.FromResult(text);
    }

    private void RotateConsole(MachineDirectory directory)
    {
        try
        {
            using var handle = OpenExactly(directory.Console, FileMode.Open, FileAccess.ReadWrite);
            if (handle is null || RandomAccess.GetLength(handle) < qemu.ConsoleBytes / 2) return;
            var length = RandomAccess.GetLength(handle);
            var content = new byte[Math.Min(length, qemu.ConsoleBytes / 2)];
            RandomAccess.Read(handle, content, length - content.Length);
            var temporary = Path.Combine(qemu.RuntimeDirectory, $".console-{directory.Name}.tmp");
            File.WriteAllBytes(temporary, content);
            File.Move(temporary, directory.ConsoleRotated, overwrite: true);
            RandomAccess.SetLength(handle, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogRotateFailed(directory.Name, e.Message);
        }
    }

    /// <summary>The last <paramref name="maxBytes"/> bytes of <paramref name="path"/>; empty when absent.</summary>
    private static byte[] ReadTail(string path, int maxBytes)
    {
        using var handle = OpenExactly(path, FileMode.Open, FileAccess.Read);
        if (handle is null || maxBytes <= 0) return [];
        var length = RandomAccess.GetLength(handle);
        var tail = new byte[Math.Min(length, maxBytes)];
        var read = RandomAccess.Read(handle, tail, length - tail.Length);
        return tail[..read];
    }

    /// <summary>Opens <paramref name="path"/> unless it is (or became) a link elsewhere: the kernel's name for
    /// the open file must be the path itself. Null when the file does not exist or is not that file.</summary>
    private static SafeFileHandle? OpenExactly(string path, FileMode mode, FileAccess access)
    {
        if (new FileInfo(path).LinkTarget is not null) return null;
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, mode, access, FileShare.ReadWrite);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        var opened = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
        if (opened == path) return handle;
        handle.Dispose();
        return null;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Could not rotate the console log of {Directory}: {Error}")]
    private partial void LogRotateFailed(string directory, string error);
}
