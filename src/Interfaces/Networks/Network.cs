namespace CimiGrains.Networks;

/// <summary>
/// A layer-2 broadcast domain spanning the hosts that have ports on it (DSP0263 Network). <see cref="NetworkPorts"/>
/// references its NetworkPortCollection (<c>networks/{id}/networkPorts</c>). <see cref="Subnet"/> (CIDR, IPv4),
/// <see cref="Gateway"/> (the default route its interfaces get; null when the Network routes nowhere) and
/// <see cref="Vni"/> (the VXLAN id that carries it between hosts) are CimiGrains extensions, declared in the
/// Network ResourceMetadata.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.Network")]
public sealed record Network : CimiResource
{
    [Id(0)] public NetworkStateName? State { get; init; }
    [Id(1)] public string? NetworkType { get; init; }
    [Id(2)] public int? Mtu { get; init; }
    [Id(3)] public string? ClassOfService { get; init; }
    [Id(4)] public ResourceRef? NetworkPorts { get; init; }
    [Id(5)] public ResourceRef? ForwardingGroup { get; init; }
    [Id(6)] public string? Subnet { get; init; }
    [Id(7)] public string? Gateway { get; init; }
    [Id(8)] public long? Vni { get; init; }

    /// <summary>Its EventLog (<c>eventLogs/{segment}.{localId}</c>, docs/EVENTS.md): the events of this resource.</summary>
    [Id(9)] public ResourceRef? EventLog { get; init; }

    /// <summary>Its MeterCollection (<c>networks/{id}/meters</c>): a Network's series are its NetworkPorts' sums.</summary>
    [Id(10)] public ResourceRef? Meters { get; init; }
}
