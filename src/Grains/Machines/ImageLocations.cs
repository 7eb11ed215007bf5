using CimiGrains.Hosts;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// Which image locations a tenant may name, checked wherever a MachineImage is validated and again
/// wherever a Machine resolves the image it boots from: one of the provider's public images
/// (<see cref="PublicImageOptions"/>) or one of the tenant's own captures, each by its exact reference.
/// Nothing else on a host's engine is reachable, so an image another tenant captured (which carries
/// that tenant's disk) or an image the engine would find by a short-id prefix can never be booted.
/// Images an operator registered from a file (<c>POST /admin/images</c>, stored in the cluster image
/// store) are public images too, each by its exact canonical location; a registered location can never
/// lie under the capture repository, so no registration can make another tenant's capture reachable.
/// </summary>
public static class ImageLocations
{
    /// <summary>
    /// The canonical form of a location (<see cref="ImageLocation"/>: its driver's scheme, then an exact
    /// reference; a schemeless reference means the same image as the scheme's), or null when it is none.
    /// </summary>
    public static string? Canonical(string location) =>
        ImageLocation.TryParse(location, out var parsed, out _) ? parsed!.ToString() : null;

    /// <summary>Why <paramref name="tenantId"/> may not name <paramref name="location"/>, or null when it may.
    /// <paramref name="ownImageLocalId"/> is the MachineImage being validated: a capture is committed
    /// under that image's own id, before the host has recorded it.</summary>
    public static async Task<string?> RefusalAsync(
        IGrainFactory grains, PublicImageOptions options, string tenantId, string location, string? ownImageLocalId)
    {
        if (!ImageLocation.TryParse(location, out var parsed, out var problem)) return $"{problem} {Rule(options, location)}";
        var canonical = parsed!.ToString();
        if (options.Locations.Any(l => (Canonical(l) ?? l.Trim()) == canonical)) return null;
        if (parsed.CapturedImageLocalId is null && options.Store is { } store && await store.IsRegisteredAsync(canonical, CancellationToken.None))
            return null;
        if (parsed.CapturedImageLocalId is { } capturedInto)
        {
            // The capture record says whose Machine was captured; the image's id alone says nothing.
            var owner = await grains.GetGrain<ICapturedImageGrain>(canonical).GetOwner();
            if (owner == tenantId) return null;
            if (owner is null && ownImageLocalId is not null && capturedInto == ownImageLocalId) return null;
        }
        // The same answer whether the capture exists under another tenant or not at all.
        return Rule(options, location);
    }

    private static string Rule(PublicImageOptions options, string location)
    {
        var shown = options.Locations.Count <= 10
            ? string.Join(", ", options.Locations)
            : string.Join(", ", options.Locations.Take(10)) + $" and {options.Locations.Count - 10} more";
        return $"'imageLocation' '{location}' is not allowed: a MachineImage names either one of the provider's public images " +
            $"({shown}), an image the operator registered (GET /admin/images lists them) or one of this tenant's own captures (SCHEME:{ImageLocation.CaptureRepository}:ID), by its exact reference; " +
            "image ids are never matched by prefix and other tenants' images are not reachable.";
    }

    /// <summary>Throws a 400 (<see cref="CimiErrorKind.Invalid"/>) naming the rule when the location is not allowed.</summary>
    public static async Task CheckAsync(IGrainFactory grains, PublicImageOptions options, string tenantId, string location, string? ownImageLocalId)
    {
        if (await RefusalAsync(grains, options, tenantId, location, ownImageLocalId) is { } refusal)
            throw CimiException.Invalid(refusal);
    }
}
