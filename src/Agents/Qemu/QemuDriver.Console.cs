using System.Text;
using Microsoft.Win32.SafeHandles;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// The serial console log (<c>console.log</c>, which QEMU appends to). Bounded: when it reaches half of
/// <c>CIMI_AGENT_QEMU_CONSOLE_BYTES</c> the agent moves its content to <c>console.log.1</c> and truncates
/// it; QEMU writes with O_APPEND, so it simply continues at the new end. Both files together stay within
/// the bound. The files are in the VM's own directory, which the VM's uid could fill with symbolic links,
/// so the agent (root) opens them never through a link nor blocking on a FIFO, and writes
/// <c>console.log.1</c> by rename, never through an existing name.
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
            using var handle = OpenExactly(directory.Console, FileAccess.ReadWrite);
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
        using var handle = OpenExactly(path, FileAccess.Read);
        if (handle is null || maxBytes <= 0) return [];
        var length = RandomAccess.GetLength(handle);
        var tail = new byte[Math.Min(length, maxBytes)];
        var read = RandomAccess.Read(handle, tail, length - tail.Length);
        return tail[..read];
    }

    /// <summary>Opens <paramref name="path"/> as the file itself, never through a symbolic link (O_NOFOLLOW:
    /// the directory above belongs to root, only the last name is the VM's) and without blocking on a FIFO
    /// the VM may have put there (O_NONBLOCK). Null when there is no such file.</summary>
    private static SafeFileHandle? OpenExactly(string path, FileAccess access)
    {
        const int ReadOnly = 0, ReadWrite = 2, NonBlocking = 0x800, NoFollow = 0x20000, CloseOnExec = 0x80000;
        var fd = Open(path, (access == FileAccess.Read ? ReadOnly : ReadWrite) | NonBlocking | NoFollow | CloseOnExec);
        if (fd < 0) return null;
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            // A FIFO or device has no length to read: treated as no console file.
            _ = RandomAccess.GetLength(handle);
            return handle;
        }
        catch (Exception e) when (e is IOException or NotSupportedException or UnauthorizedAccessException)
        {
            handle.Dispose();
            return null;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int flags);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Could not rotate the console log of {Directory}: {Error}")]
    private partial void LogRotateFailed(string directory, string error);
}
