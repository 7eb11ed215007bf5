namespace CimiGrains.Meters;

/// <summary>The body POSTed to the meters collection.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MeterCreate")]
public sealed record MeterCreate : CimiResource
{
    [Id(0)] public MeterTemplate? MeterTemplate { get; init; }
}
