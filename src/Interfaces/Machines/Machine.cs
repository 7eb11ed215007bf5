namespace CimiGrains.Machines;

/// <summary>
/// An instantiated compute resource. <see cref="State"/> is what the Machine's host last reported,
/// or the transitional state of an operation in flight. <see cref="MachineImage"/>,
/// <see cref="MachineConfig"/> and <see cref="Host"/> are CimiGrains extensions, declared in the
/// Machine ResourceMetadata.
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
}
