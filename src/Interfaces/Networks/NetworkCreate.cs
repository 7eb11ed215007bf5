namespace CimiGrains.Networks;

/// <summary>The body POSTed to the networks collection: common attributes and a template by reference,
/// by value, or by reference with overrides.</summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkCreate")]
public sealed record NetworkCreate : CimiResource
{
    [Id(0)] public NetworkTemplate? NetworkTemplate { get; init; }
}
