namespace CimiGrains.Networks;

/// <summary>How to make a NetworkPort: its port type (ACCESS, the default, or TRUNK) and class of service.</summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkPortConfiguration")]
public sealed record NetworkPortConfiguration : CimiResource
{
    [Id(0)] public string? PortType { get; init; }
    [Id(1)] public string? ClassOfService { get; init; }
}
