namespace CimiGrains.Networks;

/// <summary>The body POSTed to the forwardingGroups collection: a template by reference, by value, or by reference with overrides.</summary>
[GenerateSerializer, Immutable, Alias("cimi.ForwardingGroupCreate")]
public sealed record ForwardingGroupCreate : CimiResource
{
    [Id(0)] public ForwardingGroupTemplate? ForwardingGroupTemplate { get; init; }
}
