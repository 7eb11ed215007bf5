using CimiGrains.Grains.Images;
using CimiGrains.Hosts;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Volumes;

/// <summary>
/// Which volume image locations a tenant may name (in a VolumeImage, and again wherever a Volume is made
/// from one): one of the tenant's own captures (the capture record says whose Volume was captured), or
/// a public image an operator registered in the cluster image store, by its exact location. Another
/// tenant's capture gets the same answer as a location that names nothing.
/// </summary>
public static class VolumeImages
{
    /// <summary>Why <paramref name="tenantId"/> may not name <paramref name="location"/>, or null when it may.
    /// <paramref name="ownImageLocalId"/>: the VolumeImage being validated, whose own capture is not recorded yet.</summary>
    public static async Task<string?> RefusalAsync(IGrainFactory grains, ImageStoreDatabase store, string tenantId, string location, string? ownImageLocalId)
    {
        if (VolumeImageLocation.Problem(location) is { } problem) return problem;
        if (VolumeImageLocation.CapturedImageLocalId(location) is { } capturedInto)
        {
            var owner = await grains.GetGrain<ICapturedImageGrain>(location).GetOwner();
            if (owner == tenantId) return null;
            if (owner is null && ownImageLocalId is not null && capturedInto == ownImageLocalId) return null;
        }
        else if (await store.IsRegisteredAsync(location, CancellationToken.None)) return null;
        return $"'imageLocation' '{location}' is not allowed: a VolumeImage names one of this tenant's own Volume captures " +
            $"({VolumeImageLocation.Capture("ID")}) or a volume image the operator registered (GET /admin/images lists them), by its exact location.";
    }

    /// <summary>Throws a 400 naming the rule when the location is not allowed.</summary>
    public static async Task CheckAsync(IGrainFactory grains, ImageStoreDatabase store, string tenantId, string location, string? ownImageLocalId)
    {
        if (await RefusalAsync(grains, store, tenantId, location, ownImageLocalId) is { } refusal) throw CimiException.Invalid(refusal);
    }
}
