namespace CimiGrains.Volumes;

/// <summary>An item of a Volume's <c>images</c> collection (DSP0263 VolumeVolumeImage): a VolumeImage made from
/// the Volume (a capture) or the one it was made from. Read-only: captures are POSTed to volumeImages.</summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeVolumeImage")]
public sealed record VolumeVolumeImage : CimiResource
{
    [Id(0)] public ResourceRef? VolumeImage { get; init; }
}
