namespace CimiGrains.Networks;

/// <summary>
/// A port of a Network (DSP0263 NetworkPort): each Machine interface on the Network has one (made with its lease),
/// and a consumer may create one on a Network for an interface to use later. Its <see cref="State"/> follows its
/// Network's (STARTED, STOPPED). <see cref="Resource"/>, a CimiGrains extension, is the Machine using it.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkPort")]
public sealed record NetworkPort : CimiResource
{
    [Id(0)] public NetworkStateName? State { get; init; }
    [Id(1)] public ResourceRef? Network { get; init; }
    [Id(2)] public string? PortType { get; init; }
    [Id(3)] public string? ClassOfService { get; init; }
    [Id(4)] public ResourceRef? Resource { get; init; }

    /// <summary>Its EventLog (<c>eventLogs/{segment}.{localId}</c>, docs/EVENTS.md): the events of this resource.</summary>
    [Id(5)] public ResourceRef? EventLog { get; init; }

    /// <summary>Its MeterCollection (<c>networkPorts/{id}/meters</c>): the port's bytes and packets, as its host measures them.</summary>
    [Id(6)] public ResourceRef? Meters { get; init; }
}
