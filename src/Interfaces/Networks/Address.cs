namespace CimiGrains.Networks;

/// <summary>
/// An IPv4 address of a Network (DSP0263 Address). A Machine interface's lease makes one (<c>allocation</c>
/// <c>dynamic</c> or <c>static</c>, <see cref="Resource"/> the Machine); a consumer may reserve one by POSTing an
/// AddressCreate naming the Network (then <see cref="Resource"/> is absent and no interface gets it). <see cref="Ip"/>
/// is the bare address, <see cref="Mask"/> the subnet's mask (dotted).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.Address")]
public sealed record Address : CimiResource
{
    [Id(0)] public string? Ip { get; init; }
    [Id(1)] public string? Hostname { get; init; }
    [Id(2)] public string? Allocation { get; init; }
    [Id(3)] public string? DefaultGateway { get; init; }
    [Id(4)] public string? Dns { get; init; }
    [Id(5)] public string? Protocol { get; init; }
    [Id(6)] public string? Mask { get; init; }
    [Id(7)] public ResourceRef? Network { get; init; }
    [Id(8)] public ResourceRef? Resource { get; init; }
}
