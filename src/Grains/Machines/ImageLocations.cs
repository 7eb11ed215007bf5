using System.Text.RegularExpressions;
using CimiGrains.Hosts;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// Which image locations a tenant may name, checked wherever a MachineImage is validated and again
/// wherever a Machine resolves the image it boots from: one of the provider's public images
/// (<see cref="PublicImageOptions"/>) or one of the tenant's own captures, each by its exact reference.
/// Nothing else on a host's engine is reachable, so an image another tenant captured (which carries
/// that tenant's disk) or an image the engine would find by a short-id prefix can never be booted.
/// There are no uploads yet; when there are, they join this rule as the tenant's own images.
/// </summary>
public static partial class ImageLocations
{
    private const string Docker = "docker:";

    /// <summary>Where captures are committed (the tag is the MachineImage's local id).</summary>
    public const string CapturePrefix = Docker + MachineGrain.CaptureRepository + ":";

    /// <summary>
    /// The canonical form of a location: a Docker reference with its <c>docker:</c> scheme (a bare
    /// reference means the same image), or null when it is no exact Docker reference. Exact means a
    /// repository with an explicit tag, or a full image id: the engine matches a bare hex string as a
    /// prefix of image ids and a missing tag as whatever <c>latest</c> is, so neither is taken.
    /// </summary>
    public static string? CanonicalDocker(string location)
    {
        var text = location.Trim();
        if (text.StartsWith(Docker, StringComparison.OrdinalIgnoreCase)) text = text[Docker.Length..];
        // Docker's own limit on a name is 255 characters; the bound also keeps the match cheap.
        return FullId().IsMatch(text) || text.Length <= 255 && Reference().IsMatch(text) ? Docker + text : null;
    }

    /// <summary>Why <paramref name="tenantId"/> may not name <paramref name="location"/>, or null when it may.
    /// <paramref name="ownImageLocalId"/> is the MachineImage being validated: a capture is committed
    /// under that image's own id, before the host has recorded it.</summary>
    public static async Task<string?> RefusalAsync(
        IGrainFactory grains, PublicImageOptions options, string tenantId, string location, string? ownImageLocalId)
    {
        var canonical = CanonicalDocker(location) ?? location.Trim();
        if (options.Locations.Any(l => (CanonicalDocker(l) ?? l.Trim()) == canonical)) return null;
        if (canonical.StartsWith(CapturePrefix, StringComparison.Ordinal) && canonical.Length > CapturePrefix.Length)
        {
            // The capture record says whose Machine was captured; the image's id alone says nothing.
            var owner = await grains.GetGrain<ICapturedImageGrain>(canonical).GetOwner();
            if (owner == tenantId) return null;
            if (owner is null && ownImageLocalId is not null && canonical == CapturePrefix + ownImageLocalId) return null;
        }
        var shown = options.Locations.Count <= 10
            ? string.Join(", ", options.Locations)
            : string.Join(", ", options.Locations.Take(10)) + $" and {options.Locations.Count - 10} more";
        // The same answer whether the capture exists under another tenant or not at all.
        return $"'imageLocation' '{location}' is not allowed: a MachineImage names either one of the provider's public images " +
            $"({shown}) or one of this tenant's own captures ({CapturePrefix}ID), by its exact reference; " +
            "image ids are never matched by prefix and other tenants' images are not reachable.";
    }

    /// <summary>Throws a 400 (<see cref="CimiErrorKind.Invalid"/>) naming the rule when the location is not allowed.</summary>
    public static async Task CheckAsync(IGrainFactory grains, PublicImageOptions options, string tenantId, string location, string? ownImageLocalId)
    {
        if (await RefusalAsync(grains, options, tenantId, location, ownImageLocalId) is { } refusal)
            throw CimiException.Invalid(refusal);
    }

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex FullId();

    /// <summary>Docker's reference grammar (optional registry host[:port], lower-case path components) with a mandatory tag.</summary>
    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex Reference();
}
