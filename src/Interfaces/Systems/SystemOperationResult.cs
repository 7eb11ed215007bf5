using CimiGrains.Jobs;

namespace CimiGrains.Systems;

/// <summary>The System as it is after an operation was accepted, and the Job that tracks it.</summary>
[GenerateSerializer, Immutable, Alias("cimi.SystemOperationResult")]
public sealed record SystemOperationResult([property: Id(0)] SystemResource System, [property: Id(1)] Job Job);
