using CimiGrains.Machines;

namespace CimiGrains.Grains.Machines;

/// <summary>What a MachineVolume (or a MachineTemplate's volume) may ask for: where the Volume appears and
/// whether read-only. Checked before anything is reserved, so bad input is a 400 that leaves nothing.</summary>
public static class MachineVolumeRules
{
    /// <summary>Where a container must not have a Volume mounted: over its root or the kernel's file systems.</summary>
    private static readonly string[] ContainerForbidden = ["/proc", "/sys", "/dev"];

    /// <summary>
    /// The checked <c>initialLocation</c>: an absolute, normalized path of letters, digits and <c>._-+@/</c>
    /// (it becomes a mount point in the workload, so nothing a mount table or a shell would read otherwise).
    /// A container needs one (it is where the file system appears), and not over <c>/</c>, <c>/proc</c>,
    /// <c>/sys</c> or <c>/dev</c>; for a VM it is optional (the guest finds the disk by its serial).
    /// </summary>
    public static string? CheckInitialLocation(string? location, string driver)
    {
        if (string.IsNullOrEmpty(location))
        {
            if (driver == "docker")
                throw CimiException.Invalid("A Volume attached to a container needs 'initialLocation': the absolute path where it appears (for example /data).");
            return null;
        }
        var shown = CimiText.Printable(location, 80);
        if (location.Length > MachineVolumes.MaxInitialLocationLength)
            throw CimiException.Invalid($"'initialLocation' is longer than {MachineVolumes.MaxInitialLocationLength} characters.");
        if (location[0] != '/')
            throw CimiException.Invalid($"'initialLocation' '{shown}' is not an absolute path; write it from the root, for example /data.");
        if (!location.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or '@'))
            throw CimiException.Invalid($"'initialLocation' '{shown}' may hold only letters, digits and . _ - + @ between its slashes.");
        var segments = location.Split('/')[1..];
        if (segments.Any(s => s.Length == 0 || s is "." or ".."))
            throw CimiException.Invalid($"'initialLocation' '{shown}' is not a normalized path below the root (no empty, '.' or '..' parts, no trailing '/').");
        if (driver == "docker" && (ContainerForbidden.Any(f => location == f || location.StartsWith(f + "/", StringComparison.Ordinal))))
            throw CimiException.Invalid($"'initialLocation' '{shown}' is not a place a container can have a Volume: not {string.Join(", ", ContainerForbidden)} or under them.");
        return location;
    }

    /// <summary>The read-only flag from a MachineVolume's properties (<see cref="MachineVolumes.ReadOnlyProperty"/>): absent is read-write.</summary>
    public static bool ReadOnly(IReadOnlyDictionary<string, string>? properties)
    {
        if (properties?.GetValueOrDefault(MachineVolumes.ReadOnlyProperty) is not { } value) return false;
        return bool.TryParse(value.Trim(), out var flag)
            ? flag
            : throw CimiException.Invalid($"Property '{MachineVolumes.ReadOnlyProperty}' must be 'true' or 'false', not '{CimiText.Printable(value, 40)}'.");
    }
}
