namespace CimiGrains.Agents.Drivers;

/// <summary>The disk a host offers the scheduler: the filesystems its drivers keep workloads on.</summary>
public static class HostDisk
{
    /// <summary>
    /// Total KiB of the filesystems holding <paramref name="directories"/> (each directory counted once; a
    /// directory that does not exist here, as with a remote engine, counts as the root filesystem). 0 when
    /// none can be read: the scheduler then does not account disk for this host.
    /// </summary>
    public static long TotalKiB(IEnumerable<string> directories)
    {
        long total = 0;
        foreach (var directory in directories.Select(d => Directory.Exists(d) ? Path.GetFullPath(d) : "/").Distinct(StringComparer.Ordinal))
        {
            try
            {
                total += new DriveInfo(directory).TotalSize / 1024;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // Unreadable: that filesystem is left out.
            }
        }
        return total;
    }
}
