namespace CimiGrains.Volumes;

/// <summary>How to make a Volume: its type (a URI), format and capacity in KB.</summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeConfiguration")]
public sealed record VolumeConfiguration : CimiResource
{
    [Id(0)] public string? Type { get; init; }
    [Id(1)] public string? Format { get; init; }
    [Id(2)] public long? Capacity { get; init; }
}
