namespace CimiGrains.Networks;

/// <summary>How to reserve an Address: the Network (required), the address (absent: the Network picks one),
/// a hostname. The other attributes are the Network's and are refused when they contradict it.</summary>
[GenerateSerializer, Immutable, Alias("cimi.AddressTemplate")]
public sealed record AddressTemplate : CimiResource
{
    [Id(0)] public string? Ip { get; init; }
    [Id(1)] public string? Hostname { get; init; }
    [Id(2)] public string? Allocation { get; init; }
    [Id(3)] public string? DefaultGateway { get; init; }
    [Id(4)] public string? Dns { get; init; }
    [Id(5)] public string? Protocol { get; init; }
    [Id(6)] public string? Mask { get; init; }
    [Id(7)] public ResourceRef? Network { get; init; }
}
