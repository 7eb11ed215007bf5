using System.Text.RegularExpressions;

namespace CimiGrains.Hosts;

/// <summary>
/// A MachineImage's <c>imageLocation</c> read by the one rule the cluster and the agents share:
/// <c>SCHEME:REFERENCE</c>, where the scheme is the name of the host driver that runs the image
/// (placement asks for a host offering it, the agent hands the command to it, a capture is written
/// back under it) and the reference is what that driver understands. A location without a scheme is
/// the original driver's (<see cref="SchemelessDriver"/>), as locations were written before schemes
/// chose drivers. This file is compiled into the agent too: it must not depend on Orleans.
/// </summary>
public sealed partial record ImageLocation(string Driver, string Reference)
{
    /// <summary>The driver of a location written without a scheme.</summary>
    public const string SchemelessDriver = "docker";

    /// <summary>Every scheme the cluster knows, each the name of a host driver.</summary>
    public static readonly IReadOnlyList<string> Drivers = [SchemelessDriver, "qemu"];

    /// <summary>Where captures are committed, under the captured Machine's driver (the tag is the
    /// MachineImage's local id).</summary>
    public const string CaptureRepository = "cimigrains/capture";

    /// <summary>The location a capture into the MachineImage <paramref name="imageLocalId"/> is given.</summary>
    public static ImageLocation Capture(string driver, string imageLocalId) => new(driver, $"{CaptureRepository}:{imageLocalId}");

    /// <summary>The MachineImage local id this location is the capture of, or null.</summary>
    public string? CapturedImageLocalId =>
        Reference.StartsWith(CaptureRepository + ":", StringComparison.Ordinal) && Reference.Length > CaptureRepository.Length + 1
            ? Reference[(CaptureRepository.Length + 1)..]
            : null;

    /// <summary>
    /// The scheme of a VolumeImage's bytes in the cluster image store (<c>volume:REFERENCE</c>). It is no
    /// host driver: <see cref="TryParse"/> (what MachineImages and placement read) refuses it, and only
    /// <see cref="TryParseStored"/> (what the image store reads) takes it.
    /// </summary>
    public const string VolumeScheme = "volume";

    /// <summary>Whether this is a VolumeImage's location rather than a driver's.</summary>
    public bool IsVolume => Driver == VolumeScheme;

    /// <summary>
    /// Reads a location of the cluster image store: a driver's image location as <see cref="TryParse"/>
    /// reads it, or a VolumeImage's <c>volume:REFERENCE</c> (a reference of letters, digits, '.', '_',
    /// '-', ':' and '/', without <c>..</c>), or says why it is neither.
    /// </summary>
    public static bool TryParseStored(string? text, out ImageLocation? location, out string? problem)
    {
        var trimmed = text?.Trim() ?? "";
        if (!trimmed.StartsWith(VolumeScheme + ":", StringComparison.Ordinal)) return TryParse(text, out location, out problem);
        var reference = trimmed[(VolumeScheme.Length + 1)..];
        if (reference.Length is 0 or > 1024 || !StorePath().IsMatch(reference) || reference.Split('/', ':').Contains(".."))
        {
            location = null;
            problem = $"'imageLocation' '{text}' is not an exact volume image location: write {VolumeScheme}:REFERENCE, " +
                "the reference being letters, digits, '.', '_', '-', ':' and '/' without '..'.";
            return false;
        }
        location = new ImageLocation(VolumeScheme, reference);
        problem = null;
        return true;
    }

    /// <summary>The location as written in CIMI: <c>driver:reference</c>.</summary>
    public override string ToString() => $"{Driver}:{Reference}";

    /// <summary>Reads <paramref name="text"/>; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static ImageLocation Parse(string text) =>
        TryParse(text, out var location, out var problem) ? location! : throw new FormatException(problem);

    /// <summary>
    /// Reads <paramref name="text"/>, or says why it is no image location: empty, an unknown scheme, or a
    /// reference its driver would not take exactly (see <see cref="IsExact"/>).
    /// </summary>
    public static bool TryParse(string? text, out ImageLocation? location, out string? problem)
    {
        location = null;
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length is 0 or > 2048)
        {
            problem = $"'imageLocation' '{text}' is not an image location: write SCHEME:REFERENCE, the scheme being a host driver ({string.Join(", ", Drivers)}).";
            return false;
        }
        var colon = trimmed.IndexOf(':');
        var prefix = colon > 0 ? trimmed[..colon] : null;
        var driver = Drivers.FirstOrDefault(d => string.Equals(d, prefix, StringComparison.OrdinalIgnoreCase));
        if (driver is null && prefix is not null && SchemeName().IsMatch(prefix) && trimmed[(colon + 1)..].StartsWith('/'))
        {
            // "file:/x", "https://…": a scheme no driver has, rather than a schemeless "repository:tag".
            problem = $"'imageLocation' '{text}' names the scheme '{prefix}', which no host driver has: the schemes are {string.Join(", ", Drivers)}.";
            return false;
        }
        var reference = driver is null ? trimmed : trimmed[(colon + 1)..];
        driver ??= SchemelessDriver;
        if (!IsExact(driver, reference))
        {
            problem = $"'imageLocation' '{text}' is not an exact {driver} image reference: {ReferenceRule(driver)}.";
            return false;
        }
        location = new ImageLocation(driver, reference);
        problem = null;
        return true;
    }

    /// <summary>
    /// Whether <paramref name="reference"/> names one image exactly for <paramref name="driver"/>. For
    /// docker: a repository with an explicit tag, or a full image id; the engine matches a bare hex string
    /// as a prefix of image ids and a missing tag as whatever <c>latest</c> is, so neither is taken. For
    /// qemu: a disk image path relative to the host's image store, without <c>..</c>.
    /// </summary>
    public static bool IsExact(string driver, string reference) => driver switch
    {
        SchemelessDriver => FullId().IsMatch(reference) || reference.Length <= 255 && TaggedReference().IsMatch(reference),
        "qemu" => reference.Length <= 1024 && StorePath().IsMatch(reference) && !reference.Split('/').Contains(".."),
        _ => false,
    };

    private static string ReferenceRule(string driver) => driver switch
    {
        SchemelessDriver => "REPOSITORY:TAG or sha256:<64 hex digits>",
        _ => "a relative path of letters, digits, '.', '_', '-', ':' and '/' in the host's image store",
    };

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*$")]
    private static partial Regex SchemeName();

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex FullId();

    /// <summary>The engine's reference grammar (optional registry host[:port], lower-case path components) with a mandatory tag.</summary>
    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TaggedReference();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$")]
    private static partial Regex StorePath();
}
