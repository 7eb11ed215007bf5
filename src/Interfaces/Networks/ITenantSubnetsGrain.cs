namespace CimiGrains.Networks;

/// <summary>
/// The subnets of one tenant's Networks (keyed by tenant id), so that a Network without a subnet gets one no other
/// Network of its tenant overlaps, and a ForwardingGroup can refuse to join overlapping ones. Written before it
/// answers; it never calls a Network.
/// </summary>
public interface ITenantSubnetsGrain : IGrainWithStringKey
{
    /// <summary>Records <paramref name="subnet"/> for the Network, or, when null, picks a free 10.x.y.0/24 and
    /// records that. Repeating it for a Network returns what it holds.</summary>
    Task<string> Reserve(string networkKey, string? subnet);

    /// <summary>The subnet recorded for each Network of the tenant.</summary>
    Task<IReadOnlyDictionary<string, string>> All();

    Task Release(string networkKey);
}
