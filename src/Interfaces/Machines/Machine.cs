namespace CimiGrains.Machines;

/// <summary>
/// An instantiated compute resource. <see cref="State"/> is what the Machine's host last reported,
/// or the transitional state of an operation in flight. <see cref="MachineImage"/>,
/// <see cref="MachineConfig"/> and <see cref="Host"/> are CimiGrains extensions, declared in the
/// Machine ResourceMetadata. <see cref="Disks"/> and <see cref="Volumes"/> reference the Machine's two
/// sub-collections (<c>machines/{id}/disks</c>, <c>machines/{id}/volumes</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.Machine")]
public sealed record Machine : CimiResource
{
    [Id(0)] public MachineStateName? State { get; init; }
    [Id(1)] public int? Cpu { get; init; }

    /// <summary>Memory in KiB.</summary>
    [Id(2)] public long? Memory { get; init; }

    [Id(3)] public string? CpuArch { get; init; }
    [Id(4)] public ResourceRef? MachineImage { get; init; }
    [Id(5)] public ResourceRef? MachineConfig { get; init; }

    /// <summary>The host (agent) the Machine is placed on, once placed.</summary>
    [Id(6)] public string? Host { get; init; }

    /// <summary>The DiskCollection of the disks its configuration gave it (they live and die with it).</summary>
    [Id(7)] public ResourceRef? Disks { get; init; }

    /// <summary>The MachineVolumeCollection of the Volumes attached to it.</summary>
    [Id(8)] public ResourceRef? Volumes { get; init; }

    /// <summary>The MachineNetworkInterfaceCollection of its interfaces on Networks.</summary>
    [Id(9)] public ResourceRef? NetworkInterfaces { get; init; }

    /// <summary>The MeterCollection of the Meters that measure it (<c>machines/{id}/meters</c>).</summary>
    [Id(10)] public ResourceRef? Meters { get; init; }

    /// <summary>Its EventLog (<c>eventLogs/{segment}.{localId}</c>, docs/EVENTS.md): the events of this resource.</summary>
    [Id(11)] public ResourceRef? EventLog { get; init; }
}
