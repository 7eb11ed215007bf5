using CimiGrains.Grains.Common;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Volumes;

/// <summary>
/// The Volume's <c>images</c> collection (DSP0263 VolumeVolumeImage): the VolumeImage it was made from, then each
/// capture, in the order they were made. The Volume keeps only their ids; an image deleted since is left out
/// when the collection is read, so deleting a VolumeImage never has to reach back into the Volumes it names.
/// </summary>
public sealed partial class VolumeGrain
{
    public async Task<IReadOnlyList<VolumeVolumeImage>> GetImages()
    {
        await Fresh();
        Existing();
        var images = await Task.WhenAll(Hosted.Images.Select(async localId =>
            (LocalId: localId, Image: await GrainFactory.GetGrain<IVolumeImageGrain>(GrainKeys.Of(TenantId, localId)).GetInternal())));
        return [.. images.Where(i => i.Image?.Id is not null).Select(i => new VolumeVolumeImage
        {
            Id = $"{VolumeRegistration.ImagesOf(ResourceId)}/{i.LocalId}",
            Name = i.Image!.Name,
            Created = i.Image.Created,
            Updated = i.Image.Updated,
            VolumeImage = new ResourceRef(i.Image.Id!),
        })];
    }
}
