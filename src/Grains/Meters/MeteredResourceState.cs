namespace CimiGrains.Grains.Meters;

/// <summary>The Meters of one resource: Meter id → the name of its aspect (MeterAspect.Name).</summary>
[GenerateSerializer, Alias("cimi.state.MeteredResource")]
public sealed class MeteredResourceState
{
    [Id(0)] public Dictionary<string, string> Meters { get; set; } = new(StringComparer.Ordinal);
}
