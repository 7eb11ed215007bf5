namespace CimiGrains.Volumes;

/// <summary>The body POSTed to the volumes collection: common attributes and a template by reference,
/// by value, or by reference with overrides.</summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeCreate")]
public sealed record VolumeCreate : CimiResource
{
    [Id(0)] public VolumeTemplate? VolumeTemplate { get; init; }
}
