namespace CimiGrains.Networks;

/// <summary>How to make a ForwardingGroup: the tenant's Networks it joins.</summary>
[GenerateSerializer, Immutable, Alias("cimi.ForwardingGroupTemplate")]
public sealed record ForwardingGroupTemplate : CimiResource
{
    [Id(0)] public IReadOnlyList<ResourceRef>? Networks { get; init; }
}
