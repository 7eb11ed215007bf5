namespace CimiGrains.Networks;

/// <summary>The body POSTed to the addresses collection: a template by reference, by value, or by reference with overrides.</summary>
[GenerateSerializer, Immutable, Alias("cimi.AddressCreate")]
public sealed record AddressCreate : CimiResource
{
    [Id(0)] public AddressTemplate? AddressTemplate { get; init; }
}
