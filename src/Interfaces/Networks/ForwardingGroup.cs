namespace CimiGrains.Networks;

/// <summary>
/// Networks that exchange traffic, routed between them (DSP0263 ForwardingGroup). A Network is in at most one; two
/// Networks of a ForwardingGroup never have overlapping subnets. Deleting it unjoins its Networks.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.ForwardingGroup")]
public sealed record ForwardingGroup : CimiResource
{
    [Id(0)] public IReadOnlyList<ResourceRef>? Networks { get; init; }
}
