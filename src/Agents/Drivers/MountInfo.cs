using System.Globalization;
using System.Text;

namespace CimiGrains.Agents.Drivers;

/// <summary>One line of a mountinfo file (proc(5)): the mount's <c>major:minor</c>, where it is, its options,
/// its file system type and source.</summary>
public sealed record MountInfo(string DeviceNumber, string MountPoint, string Options, string FileSystem, string Source)
{
    /// <summary>The mounts in <paramref name="file"/> (<c>/proc/self/mountinfo</c>, <c>/proc/PID/mountinfo</c>); empty when unreadable.</summary>
    public static IReadOnlyList<MountInfo> Read(string file)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var mounts = new List<MountInfo>();
        foreach (var line in lines)
        {
            var fields = line.Split(' ');
            var dash = Array.IndexOf(fields, "-");
            if (fields.Length < 7 || dash < 6 || dash + 2 >= fields.Length) continue;
            mounts.Add(new MountInfo(fields[2], Unescape(fields[4]), fields[5], fields[dash + 1], Unescape(fields[dash + 2])));
        }
        return mounts;
    }

    /// <summary>The kernel writes space, tab, newline and backslash in paths as octal escapes (<c>\040</c>).</summary>
    private static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal)) return value;
        var text = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 3 < value.Length && int.TryParse(value.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                text.Append((char)Convert.ToInt32(value.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(value[i]);
            }
        }
        return text.ToString();
    }
}
