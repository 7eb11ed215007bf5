namespace CimiGrains.Agents.Volumes;

/// <summary>
/// Where the file system tools the pool runs are. mkfs.ext4, e2fsck, resize2fs, blkid and losetup live in
/// <c>/usr/sbin</c> (or <c>/sbin</c>), which the PATH of an agent run as an ordinary user often lacks: the
/// agent looks there after its PATH rather than fail with "not found".
/// </summary>
public static class HostTools
{
    private static readonly string[] SystemDirectories = ["/usr/sbin", "/sbin"];

    /// <summary>The path of <paramref name="name"/> (on PATH, else in the system directories), or the name itself
    /// when it is nowhere: running it then fails naming it.</summary>
    public static string Find(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(SystemDirectories))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate)) return candidate;
        }
        return name;
    }
}
