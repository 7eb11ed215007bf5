using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Meters;

namespace CimiGrains.Grains.Meters;

/// <summary>What a Meter may target: an existing resource of the tenant whose type offers the aspect.</summary>
internal static class MeterTargets
{
    /// <summary>The target's type name, or a 400 naming the problem (<see cref="ResourceTargets"/>).</summary>
    public static async Task<string> ResolveAsync(ResourceReadModel readModel, string tenantId, string href, string aspectUri)
    {
        var registration = ResourceTargets.RegistrationOf(href);
        var aspect = MeterAspect.ForUri(aspectUri)!;
        if (!aspect.ResourceTypes.Contains(registration.TypeName))
            throw CimiException.Invalid($"A {registration.TypeName} does not offer the aspect {aspect.Uri}; " +
                $"it offers {string.Join(", ", MeterAspect.OfferedBy(registration.TypeName).Select(a => a.Uri).DefaultIfEmpty("none"))}.");
        await ResourceTargets.RequireExistsAsync(readModel, tenantId, registration, href);
        return registration.TypeName;
    }
}
