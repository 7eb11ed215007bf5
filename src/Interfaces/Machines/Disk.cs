namespace CimiGrains.Machines;

/// <summary>A disk of a MachineConfiguration: capacity in KB, format, and where it appears.</summary>
[GenerateSerializer, Immutable, Alias("cimi.Disk")]
public sealed record Disk
{
    [Id(0)] public long? Capacity { get; init; }
    [Id(1)] public string? Format { get; init; }
    [Id(2)] public string? InitialLocation { get; init; }
}
