namespace CimiGrains.Grains.Common;

/// <summary>Resolving the hrefs a consumer sent into grains of the same tenant.</summary>
public static class References
{
    /// <summary>
    /// The referenced resource, or an Invalid error that names the attribute and the href. A reference
    /// to another tenant's resource is as dangling as one to nothing: grain keys carry the tenant.
    /// </summary>
    public static async Task<T> ResolveAsync<TGrain, T>(
        IGrainFactory grains, string tenantId, ResourceKind kind, string attribute, string href)
        where TGrain : ICimiResourceGrain<T>
        where T : CimiResource
    {
        var localId = kind.LocalIdOf(href)
            ?? throw CimiException.Invalid($"'{attribute}' must reference a {kind.TypeName} (…/{kind.CollectionSegment}/<id>), not '{href}'.");
        var resource = await grains.GetGrain<TGrain>(GrainKeys.Of(tenantId, localId)).GetInternal();
        return resource ?? throw CimiException.MissingReference($"'{attribute}' references {kind.TypeName} '{href}', which does not exist.");
    }

    /// <summary>
    /// A plain reference (one with no by-value form, such as a MachineImage's <c>relatedImage</c>) must
    /// name a resource of the tenant when given, like every other href a consumer sends: stored unchecked,
    /// it would hold another tenant's id (or nothing) in the tenant's own document.
    /// </summary>
    public static async Task RequireAsync<TGrain, T>(
        IGrainFactory grains, string tenantId, ResourceKind kind, string attribute, ResourceRef? reference)
        where TGrain : ICimiResourceGrain<T>
        where T : CimiResource
    {
        if (reference is not null) await ResolveAsync<TGrain, T>(grains, tenantId, kind, attribute, reference.Href);
    }

    /// <summary>
    /// A reference-or-value attribute: by value it is the value; by reference it is the referenced
    /// resource with any attributes given alongside the href overriding it (DSP0263 "by reference
    /// with overrides"); <paramref name="merge"/> does the overriding.
    /// </summary>
    public static async Task<T?> ResolveOrValueAsync<TGrain, T>(
        IGrainFactory grains, string tenantId, ResourceKind kind, string attribute, T? value, Func<T, T, T> merge)
        where TGrain : ICimiResourceGrain<T>
        where T : CimiResource
    {
        if (value is null) return null;
        if (value.Href is null) return value;
        var referenced = await ResolveAsync<TGrain, T>(grains, tenantId, kind, attribute, value.Href);
        return merge(referenced, value with { Href = null });
    }
}
