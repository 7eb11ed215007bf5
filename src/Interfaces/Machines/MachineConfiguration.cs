namespace CimiGrains.Machines;

/// <summary>The (virtual) hardware of a Machine to be: CPUs, memory in KiB, disks.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineConfiguration")]
public sealed record MachineConfiguration : CimiResource
{
    [Id(0)] public int? Cpu { get; init; }

    /// <summary>Memory in KiB, as DSP0263 defines it.</summary>
    [Id(1)] public long? Memory { get; init; }

    [Id(2)] public IReadOnlyList<Disk>? Disks { get; init; }
    [Id(3)] public string? CpuArch { get; init; }
}
