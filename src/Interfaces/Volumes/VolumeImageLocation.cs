using System.Text.RegularExpressions;

namespace CimiGrains.Volumes;

/// <summary>
/// Where a VolumeImage's bytes are in the cluster image store: <c>volume:REFERENCE</c>. A capture of a
/// Volume into the VolumeImage <c>ID</c> is stored under <c>volume:cimigrains/capture:ID</c> (the same
/// shape a Machine capture has under its driver's scheme); an operator registers other locations
/// (public to every tenant). This file must not depend on Orleans (the agent may compile it).
/// </summary>
public static partial class VolumeImageLocation
{
    public const string Scheme = "volume";

    /// <summary>The repository captures are stored under, as for Machine captures.</summary>
    public const string CaptureRepository = "cimigrains/capture";

    /// <summary>The location a capture into the VolumeImage <paramref name="imageLocalId"/> is given.</summary>
    public static string Capture(string imageLocalId) => $"{Scheme}:{CaptureRepository}:{imageLocalId}";

    /// <summary>The VolumeImage local id <paramref name="location"/> is the capture of, or null.</summary>
    public static string? CapturedImageLocalId(string location)
    {
        var prefix = $"{Scheme}:{CaptureRepository}:";
        return location.StartsWith(prefix, StringComparison.Ordinal) && location.Length > prefix.Length ? location[prefix.Length..] : null;
    }

    /// <summary>Why <paramref name="location"/> is no volume image location, or null when it is one.</summary>
    public static string? Problem(string? location)
    {
        if (location is null || location.Length is 0 or > 1024 || !location.StartsWith(Scheme + ":", StringComparison.Ordinal)
            || !Reference().IsMatch(location[(Scheme.Length + 1)..]) || location.Split('/', ':').Contains(".."))
            return $"'imageLocation' '{location}' is not a volume image location: write {Scheme}:REFERENCE (letters, digits, '.', '_', '-', ':' and '/'), " +
                "or POST a VolumeImage whose imageLocation is a Volume's href to capture that Volume.";
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$")]
    private static partial Regex Reference();
}
