namespace CimiGrains.Systems;

/// <summary>The body POSTed to the systems collection: common attributes and a SystemTemplate by reference,
/// by value, or by reference with overrides.</summary>
[GenerateSerializer, Immutable, Alias("cimi.SystemCreate")]
public sealed record SystemCreate : CimiResource
{
    [Id(0)] public SystemTemplate? SystemTemplate { get; init; }
}
