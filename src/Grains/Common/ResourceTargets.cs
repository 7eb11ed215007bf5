using CimiGrains.Grains.ReadModel;

namespace CimiGrains.Grains.Common;

/// <summary>
/// A <c>targetResource</c> a consumer names (a Meter's, an EventLog's): an href of a registered type that
/// names an existing resource of the tenant. Another tenant's resource is as absent as none: the read model
/// is asked within the tenant. Both checks are 400s naming the href.
/// </summary>
public static class ResourceTargets
{
    /// <summary>The registration of the type <paramref name="href"/> names, or a 400 when it names no resource.</summary>
    public static CimiTypeRegistration RegistrationOf(string href)
    {
        var registration = CimiTypeRegistry.ForSegment(href.Split('/')[0]);
        if (registration is null || registration.Kind.LocalIdOf(href) is null)
            throw CimiException.Invalid($"'targetResource' must reference a resource (…/machines/<id>), not '{href}'.");
        return registration;
    }

    /// <summary>A 400 unless the tenant has the resource <paramref name="href"/> (of <paramref name="registration"/>).</summary>
    public static async Task RequireExistsAsync(ResourceReadModel readModel, string tenantId, CimiTypeRegistration registration, string href)
    {
        var found = await readModel.GetManyAsync(tenantId, [href], CancellationToken.None);
        if (found.Count == 0) throw CimiException.MissingReference($"'targetResource' references {registration.TypeName} '{href}', which does not exist.");
    }
}
