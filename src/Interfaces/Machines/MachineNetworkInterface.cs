namespace CimiGrains.Machines;

/// <summary>
/// A Machine's interface on a CIMI Network (an item of the Machine's <c>networkInterfaces</c> collection):
/// POSTed to attach the Machine to <see cref="Network"/>, DELETEd to detach it. <see cref="Addresses"/> references
/// its <c>addresses</c> sub-collection (the Addresses the Network leased it); <see cref="MacAddress"/> and
/// <see cref="NetworkType"/> are CimiGrains extensions (DSP8009's MachineNetworkInterface has neither), declared
/// in the Machine ResourceMetadata. <see cref="State"/> is ACTIVE, PASSIVE or DISABLED.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineNetworkInterface")]
public sealed record MachineNetworkInterface : CimiResource
{
    [Id(0)] public ResourceRef? Addresses { get; init; }
    [Id(1)] public ResourceRef? Network { get; init; }
    [Id(2)] public ResourceRef? NetworkPort { get; init; }
    [Id(3)] public string? State { get; init; }
    [Id(4)] public int? Mtu { get; init; }
    [Id(5)] public string? MacAddress { get; init; }
    [Id(6)] public string? NetworkType { get; init; }
}

/// <summary>One Address of a Machine's interface (an item of its <c>addresses</c> sub-collection).</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineNetworkInterfaceAddress")]
public sealed record MachineNetworkInterfaceAddress : CimiResource
{
    [Id(0)] public ResourceRef? Address { get; init; }
}

/// <summary>The MachineNetworkInterface as it is after an attach or detach was accepted, and the Job that tracks it.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineNetworkInterfaceOperationResult")]
public sealed record MachineNetworkInterfaceOperationResult(
    [property: Id(0)] MachineNetworkInterface MachineNetworkInterface, [property: Id(1)] Jobs.Job Job);
