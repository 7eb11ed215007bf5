namespace CimiGrains.Networks;

/// <summary>The body POSTed to the networkPorts collection: a template by reference, by value, or by reference with overrides.</summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkPortCreate")]
public sealed record NetworkPortCreate : CimiResource
{
    [Id(0)] public NetworkPortTemplate? NetworkPortTemplate { get; init; }
}
