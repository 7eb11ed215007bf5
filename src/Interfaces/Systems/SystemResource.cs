namespace CimiGrains.Systems;

/// <summary>
/// A System (DSP0263 "System"): Machines, Volumes, Networks, Credentials and nested Systems operated as one.
/// Named <c>SystemResource</c> in C# only, so that it does not hide the <c>System</c> namespace; its CIMI type
/// name is System. Each member collection is a sub-collection of the System (<c>systems/{id}/machines</c>, …;
/// <see cref="SystemMemberCollections"/>). <see cref="PlacementPolicy"/> is a CimiGrains extension.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.System")]
public sealed record SystemResource : CimiResource
{
    [Id(0)] public SystemStateName? State { get; init; }
    [Id(1)] public ResourceRef? Systems { get; init; }
    [Id(2)] public ResourceRef? Machines { get; init; }
    [Id(3)] public ResourceRef? Credentials { get; init; }
    [Id(4)] public ResourceRef? Volumes { get; init; }
    [Id(5)] public ResourceRef? Networks { get; init; }
    [Id(6)] public ResourceRef? NetworkPorts { get; init; }
    [Id(7)] public ResourceRef? Addresses { get; init; }
    [Id(8)] public ResourceRef? ForwardingGroups { get; init; }

    /// <summary>The SystemTemplate the System was created from, when it was created from a stored one.</summary>
    [Id(9)] public ResourceRef? SystemTemplate { get; init; }

    /// <summary>How its Machines are spread over hosts (<see cref="SystemPlacement"/>).</summary>
    [Id(10)] public string? PlacementPolicy { get; init; }

    /// <summary>The MeterCollection of the Meters that measure it (<c>systems/{id}/meters</c>: its Machines' sums).</summary>
    [Id(12)] public ResourceRef? Meters { get; init; }

    /// <summary>Its EventLog (<c>eventLogs/{segment}.{localId}</c>, docs/EVENTS.md): the events of this resource.</summary>
    [Id(11)] public ResourceRef? EventLog { get; init; }
}
