using System.Globalization;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Qemu;

namespace CimiGrains.Agents.Volumes;

/// <summary>
/// Who uses a Volume's file on this host now: loop devices backed by it (a container's mount) and processes
/// holding it open (a VM, an NBD export). The pool asks before it deletes or captures a Volume: a file still in
/// use must not vanish under its user, nor be captured while it can change.
/// </summary>
public static class VolumeUsers
{
    /// <summary>Each user of <paramref name="path"/> described for a message (<c>/dev/loop3</c>, <c>qemu-system-x86 (pid 4242)</c>),
    /// with whether it can write. Empty when nothing uses it.</summary>
    public static async Task<IReadOnlyList<(string Who, bool Writable)>> OfAsync(string path, CancellationToken ct)
    {
        var users = new List<(string, bool)>();
        var loops = await HostCommand.TryRunAsync(HostTools.Find("losetup"), ["-j", path, "-J", "-O", "NAME,RO"], ct);
        if (loops.Code == 0 && loops.Output.Trim().Length > 0 && JsonNode.Parse(loops.Output)?["loopdevices"] is JsonArray devices)
        {
            foreach (var device in devices)
                users.Add(($"loop device {device?["name"]?.GetValue<string>()}", device?["ro"]?.GetValue<bool>() != true));
        }
        users.AddRange(OpenBy(path));
        return users;
    }

    /// <summary>Processes with <paramref name="path"/> open, from /proc (this agent's own reads excepted: they
    /// happen under the Volume's lock, in the operation asking).</summary>
    private static IEnumerable<(string, bool)> OpenBy(string path)
    {
        var self = Environment.ProcessId;
        foreach (var process in SafeEnumerate("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self) continue;
            foreach (var fd in SafeEnumerate(Path.Combine(process, "fd")))
            {
                string? target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
                if (target != path) continue;
                yield return ($"{Command(process)} (pid {pid})", Writable(Path.Combine(process, "fdinfo", Path.GetFileName(fd))));
            }
        }
    }

    private static string Command(string process)
    {
        try
        {
            return File.ReadAllText(Path.Combine(process, "comm")).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "a process";
        }
    }

    /// <summary>Whether the descriptor was opened for writing (its octal flags in fdinfo: O_WRONLY 1, O_RDWR 2).</summary>
    private static bool Writable(string fdinfo)
    {
        try
        {
            foreach (var line in File.ReadLines(fdinfo))
            {
                if (!line.StartsWith("flags:", StringComparison.Ordinal)) continue;
                var flags = Convert.ToInt32(line["flags:".Length..].Trim(), 8);
                return (flags & 3) != 0;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Unknown: count it as a writer, the safe side for a capture.
        }
        return true;
    }

    private static IEnumerable<string> SafeEnumerate(string directory)
    {
        try
        {
            return Directory.GetFileSystemEntries(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
