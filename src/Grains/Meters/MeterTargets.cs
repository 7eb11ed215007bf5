using CimiGrains.Grains.ReadModel;
using CimiGrains.Meters;

namespace CimiGrains.Grains.Meters;

/// <summary>What a Meter may target: an existing resource of the tenant whose type offers the aspect.</summary>
internal static class MeterTargets
{
    /// <summary>The target's type name, or a 400 naming the problem. Another tenant's resource is as absent
    /// as none: the read model is asked within the tenant.</summary>
    public static async Task<string> ResolveAsync(ResourceReadModel readModel, string tenantId, string href, string aspectUri)
    {
        var segment = href.Split('/')[0];
        var registration = CimiTypeRegistry.ForSegment(segment);
        if (registration is null || registration.Kind.LocalIdOf(href) is null)
            throw CimiException.Invalid($"'targetResource' must reference a resource (…/machines/<id>), not '{href}'.");
        var aspect = MeterAspect.ForUri(aspectUri)!;
        if (!aspect.ResourceTypes.Contains(registration.TypeName))
            throw CimiException.Invalid($"A {registration.TypeName} does not offer the aspect {aspect.Uri}; " +
                $"it offers {string.Join(", ", MeterAspect.OfferedBy(registration.TypeName).Select(a => a.Uri).DefaultIfEmpty("none"))}.");
        var found = await readModel.GetManyAsync(tenantId, [href], CancellationToken.None);
        if (found.Count == 0) throw CimiException.Invalid($"'targetResource' references {registration.TypeName} '{href}', which does not exist.");
        return registration.TypeName;
    }
}
