using CimiGrains.Grains.Common;
using CimiGrains.Grains.Images;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Hosts;
using CimiGrains.Volumes;

namespace CimiGrains.Grains.Volumes;

/// <summary>
/// A VolumeImage: registered by a consumer naming a <c>volume:</c> location it may name
/// (<see cref="VolumeImages"/>), or created CREATING by the Volume grain for a capture and moved on by it.
/// </summary>
public sealed class VolumeImageGrain(
    [PersistentState("volumeImage", "cimi")] IPersistentState<ResourceState<VolumeImage>> state,
    ResourceReadModel readModel,
    ImageStoreDatabase store)
    : CimiResourceGrain<VolumeImage>(state, readModel, VolumeImageRegistration.Type.Kind), IVolumeImageGrain
{
    public static readonly string[] States = ["CREATING", "AVAILABLE", "DELETING", "ERROR"];

    protected override async Task<VolumeImage> ValidateAsync(VolumeImage document)
    {
        var image = Check(document, requireAll: true);
        await VolumeImages.CheckAsync(GrainFactory, store, TenantId, image.ImageLocation!, LocalId);
        // A registered image is usable at once; a capture is created CREATING by the Volume grain.
        return image with { State = image.State ?? "AVAILABLE", Bootable = image.Bootable ?? false };
    }

    /// <summary>A consumer's update (a PUT, which may not name it) keeps the provider's state.</summary>
    public override Task<VolumeImage> Update(VolumeImage document) =>
        base.Update(document with { State = document.State ?? Existing().State });

    /// <summary>
    /// A capture still CREATING cannot be deleted (its bytes would be stored after the deletion). Deleting a
    /// capture releases it: the hosts that hold a copy remove it and its bytes leave the cluster image store.
    /// </summary>
    public override async Task Delete()
    {
        var image = Existing();
        var capture = VolumeImageLocation.Capture(LocalId);
        if (image.State == "CREATING" && image.ImageLocation == capture)
            throw CimiException.Conflict($"VolumeImage '{ResourceId}' is being captured; delete it once the capture has finished.");
        // Only this image's own capture: a VolumeImage registered naming another image's capture does not own it.
        await GrainFactory.GetGrain<ICapturedImageGrain>(capture).Release(TenantId);
        await base.Delete();
    }

    public static VolumeImage Check(VolumeImage image, bool requireAll)
    {
        CommonValidation.Check(image);
        if (requireAll && string.IsNullOrWhiteSpace(image.ImageLocation))
            throw CimiException.Invalid("VolumeImage 'imageLocation' is required.");
        CommonValidation.NonBlank(image.ImageLocation, "imageLocation", 1024);
        if (image.State is { } s && !States.Contains(s))
            throw CimiException.Invalid($"VolumeImage 'state' '{s}' is not a VolumeImage state ({string.Join(", ", States)}).");
        return image;
    }

    public static VolumeImage Merge(VolumeImage referenced, VolumeImage overrides) => referenced with
    {
        ImageLocation = overrides.ImageLocation ?? referenced.ImageLocation,
        Bootable = overrides.Bootable ?? referenced.Bootable,
    };
}
