namespace CimiGrains.Networks;

/// <summary>How to make a Network: its type (PUBLIC, PRIVATE), mtu, class of service and, as a CimiGrains
/// extension, its <see cref="Subnet"/> (IPv4 CIDR; absent: the cluster picks a /24 free in the tenant).</summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkConfiguration")]
public sealed record NetworkConfiguration : CimiResource
{
    [Id(0)] public string? NetworkType { get; init; }
    [Id(1)] public int? Mtu { get; init; }
    [Id(2)] public string? ClassOfService { get; init; }
    [Id(3)] public string? Subnet { get; init; }
}
