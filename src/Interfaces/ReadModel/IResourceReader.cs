namespace CimiGrains.ReadModel;

/// <summary>
/// The read side of the resource store: what the HTTP binding may ask of it. Collections are read
/// here, never by activating one grain per item; the documents are the public ones (no secrets, ids
/// relative). Writing is the grains' business and not part of this contract.
/// </summary>
public interface IResourceReader
{
    /// <summary>
    /// The items of a tenant's collection that pass <see cref="ResourceQuery.Filter"/>, sorted by its
    /// keys (then by creation), sliced to the requested 1-based inclusive range, and how many pass in all.
    /// </summary>
    Task<ResourcePage> QueryAsync(string tenantId, ResourceKind kind, ResourceQuery query, CancellationToken ct);

    /// <summary>The tenant's documents with the given relative ids, whatever their kind; ids that name nothing are absent.</summary>
    Task<IReadOnlyList<StoredDocument>> GetManyAsync(string tenantId, IReadOnlyCollection<string> ids, CancellationToken ct);
}
