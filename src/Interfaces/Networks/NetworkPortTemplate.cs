namespace CimiGrains.Networks;

/// <summary>How to make a NetworkPort: the Network (required) and its configuration (by reference or by value; absent: ACCESS).</summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkPortTemplate")]
public sealed record NetworkPortTemplate : CimiResource
{
    [Id(0)] public ResourceRef? Network { get; init; }
    [Id(1)] public NetworkPortConfiguration? NetworkPortConfig { get; init; }
}
