namespace CimiGrains.Machines;

/// <summary>
/// What a Machine boots from. Its <see cref="ImageLocation"/> is <c>SCHEME:REFERENCE</c>, the scheme naming the host
/// driver (<see cref="CimiGrains.Hosts.ImageLocation"/>); for docker a local image
/// (<c>docker:cimigrains/demo:1</c>, or a bare image reference); a capture's image points at the image
/// the host committed.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineImage")]
public sealed record MachineImage : CimiResource
{
    [Id(0)] public string? State { get; init; }
    [Id(1)] public string? Type { get; init; }
    [Id(2)] public string? ImageLocation { get; init; }
    [Id(3)] public ResourceRef? RelatedImage { get; init; }
}
