namespace CimiGrains.Machines;

/// <summary>
/// One disk of a Machine (an item of its <c>disks</c> collection, DSP0263 Disk): what its configuration
/// gave it, capacity in KB (KiB) and where it appears. Made with the Machine and removed with it, so it
/// has no operations. DSP8009's Disk has no common elements; its <c>id</c> is written as an extension.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineDisk")]
public sealed record MachineDisk : CimiResource
{
    [Id(0)] public long? Capacity { get; init; }
    [Id(1)] public string? InitialLocation { get; init; }
}
