namespace CimiGrains.Meters;

/// <summary>How to make a Meter: its target (absent in a template named by a MachineTemplate, which
/// targets the Machine being made) and its MeterConfiguration by reference or by value.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MeterTemplate")]
public sealed record MeterTemplate : CimiResource
{
    [Id(0)] public ResourceRef? TargetResource { get; init; }
    [Id(1)] public MeterConfiguration? MeterConfig { get; init; }
}
