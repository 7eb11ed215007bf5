namespace CimiGrains.Common;

/// <summary>
/// The CRUD contract every stored CIMI resource grain offers. Keys are <c>{tenantId}/{localId}</c>
/// (<see cref="GrainKeys"/>). Writes return only after the state is durable in PostgreSQL and the
/// read model row is up to date.
/// </summary>
public interface ICimiResourceGrain<TResource> : IGrainWithStringKey where TResource : CimiResource
{
    /// <summary>Creates the resource from a consumer document; fails with Conflict if it exists.</summary>
    Task<TResource> Create(TResource document);

    /// <summary>The resource as its owner sees it (secrets removed), or NotFound.</summary>
    Task<TResource> Get();

    /// <summary>Replaces the consumer-writable attributes with those of <paramref name="document"/>
    /// (a partial update is merged by the Gateway before it gets here).</summary>
    Task<TResource> Update(TResource document);

    /// <summary>Deletes the resource; NotFound when it does not exist.</summary>
    Task Delete();

    /// <summary>The full stored resource, secrets included: only for other grains (never rendered).</summary>
    Task<TResource?> GetInternal();
}
