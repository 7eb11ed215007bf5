namespace CimiGrains.Volumes;

/// <summary>
/// The initial content of Volumes, or a capture of one (DSP0263 VolumeImage). Its
/// <see cref="ImageLocation"/> is where the bytes are: the href of a Volume when it is POSTed to be
/// captured, then the location of its bytes in the cluster image store (<c>volume:…</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeImage")]
public sealed record VolumeImage : CimiResource
{
    [Id(0)] public string? State { get; init; }
    [Id(1)] public string? ImageLocation { get; init; }
    [Id(2)] public bool? Bootable { get; init; }
}
