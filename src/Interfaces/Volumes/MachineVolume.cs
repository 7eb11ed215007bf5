namespace CimiGrains.Volumes;

/// <summary>A Volume as one Machine uses it (an item of the Machine's <c>volumes</c> collection): POSTed to
/// attach, DELETEd to detach. <see cref="InitialLocation"/> is where it appears in the workload.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineVolume")]
public sealed record MachineVolume : CimiResource
{
    [Id(0)] public string? InitialLocation { get; init; }
    [Id(1)] public ResourceRef? Volume { get; init; }
}
