namespace CimiGrains.Agents.Volumes;

/// <summary>Which file system holds a path, from <c>/proc/self/mountinfo</c>: the device (<c>major:minor</c>) of the
/// longest mount point that is a prefix of the path's real location. The device, not the mount point, names the
/// file system: a bind mount (Docker's data root often is one) shows the same one under another path.</summary>
public static class MountPoints
{
    public static string DeviceOf(string path)
    {
        string full;
        try
        {
            var info = new DirectoryInfo(path);
            full = info.Exists ? (info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName) : Path.GetFullPath(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            full = path;
        }
        var best = "/";
        var device = "";
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                // "36 35 98:0 /root /mnt/point rw,… - ext4 /dev/x rw": the fifth field, with octal escapes for blanks.
                var fields = line.Split(' ');
                if (fields.Length < 5) continue;
                var point = fields[4].Replace("\\040", " ", StringComparison.Ordinal);
                var inside = point == "/" || full == point || full.StartsWith(point + "/", StringComparison.Ordinal);
                if (!inside || point.Length < best.Length) continue;
                best = point;
                device = fields[2];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No mount table: everything counts as one file system.
        }
        return device.Length > 0 ? device : best;
    }
}
