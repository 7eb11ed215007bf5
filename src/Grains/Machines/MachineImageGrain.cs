using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Hosts;
using CimiGrains.Machines;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Machines;

public sealed class MachineImageGrain(
    [PersistentState("machineImage", "cimi")] IPersistentState<ResourceState<MachineImage>> state,
    ResourceReadModel readModel,
    IOptions<PublicImageOptions> publicImages,
    Images.ImageStoreDatabase store)
    : CimiResourceGrain<MachineImage>(state, readModel, ResourceKind.MachineImage), IMachineImageGrain
{
    public static readonly string[] Types = ["IMAGE", "SNAPSHOT", "PARTIAL_SNAPSHOT"];

    protected override async Task<MachineImage> ValidateAsync(MachineImage document)
    {
        var image = Check(document, requireAll: true);
        // On every create and update, the consumer's and the Machine grain's (a capture names its own id).
        await ImageLocations.CheckAsync(GrainFactory, publicImages.Value, TenantId, image.ImageLocation!, LocalId);
        // A capture's relatedImage is its Machine's image, which may have been deleted since (history, not
        // a claim); the Machine grain has checked the one a consumer gave. Anything else is checked here.
        if (!(image.State == "CREATING" && IsCaptureOfThis(image)))
            await CheckReferencesAsync(GrainFactory, TenantId, image, "relatedImage");
        // A registered image is usable at once; captures are created by the Machine grain, which
        // sets the state itself (CREATING until the host has committed the image).
        return image with { State = image.State ?? "AVAILABLE", Type = image.Type ?? "IMAGE" };
    }

    /// <summary>
    /// A consumer's update (a PUT, which may not name them) keeps the provider's state and relatedImage:
    /// without this a rename made a capture still CREATING look AVAILABLE and erased where an image came
    /// from. The Machine grain, ending a capture, names the state it moves the image to.
    /// </summary>
    public override Task<MachineImage> Update(MachineImage document)
    {
        var current = Existing();
        return base.Update(document with
        {
            State = document.State ?? current.State,
            RelatedImage = document.RelatedImage ?? current.RelatedImage,
        });
    }

    /// <summary>The image's <c>relatedImage</c>, when given, names a MachineImage of the tenant.</summary>
    public static Task CheckReferencesAsync(IGrainFactory grains, string tenantId, MachineImage image, string attribute) =>
        References.RequireAsync<IMachineImageGrain, MachineImage>(grains, tenantId, ResourceKind.MachineImage, attribute, image.RelatedImage);

    /// <summary>
    /// Deleting a capture also removes its image from the host(s) that committed it. The
    /// MachineImage goes at once; a host keeps the image while containers (Machines booted from it) still
    /// use it and removes it when the last of them is deleted, so running Machines never lose their image.
    /// A capture still CREATING cannot be deleted: its image would be committed after the deletion.
    /// Templates that name the MachineImage are not checked, as for every other referenced resource.
    /// </summary>
    public override async Task Delete()
    {
        var image = Existing();
        if (image.State == "CREATING" && IsCaptureOfThis(image))
            throw CimiException.Conflict($"MachineImage '{ResourceId}' is being captured; delete it once the capture has finished.");
        // The record of the capture's hosts is keyed by the location captures of this image are given,
        // whatever imageLocation says now (so under every driver's scheme: the captured Machine's driver
        // is not recorded here); for an image that was never captured it is empty.
        // A MachineImage the tenant registered naming a capture of its own (of another MachineImage) releases
        // that capture too once nothing else names it. Either way, while another MachineImage of the tenant
        // still names a capture, the capture (its hosts' copies and its stored bytes) stays.
        var locations = ImageLocation.Drivers.Select(d => CaptureLocation(LocalId, d)).ToList();
        if (ImageLocation.TryParse(image.ImageLocation, out var named, out _) && named!.CapturedImageLocalId is not null
            && !locations.Contains(named.ToString()))
            locations.Add(named.ToString());
        foreach (var location in locations)
        {
            var others = (await store.MachineImagesNamingAsync(TenantId, Spellings(location), CancellationToken.None))
                .Where(id => id != $"{TenantId} {ResourceId}").ToList();
            if (others.Count == 0) await GrainFactory.GetGrain<ICapturedImageGrain>(location).Release(TenantId);
        }
        await base.Delete();
    }

    /// <summary>Where a capture into the MachineImage <paramref name="localId"/> of a Machine run by
    /// <paramref name="driver"/> is committed: the same driver runs the captured image.</summary>
    public static string CaptureLocation(string localId, string driver) => ImageLocation.Capture(driver, localId).ToString();

    /// <summary>The ways a MachineImage may write <paramref name="canonical"/> (the schemeless driver's without its scheme too).</summary>
    private static IReadOnlyList<string> Spellings(string canonical) =>
        canonical.StartsWith(ImageLocation.SchemelessDriver + ":", StringComparison.Ordinal)
            ? [canonical, canonical[(ImageLocation.SchemelessDriver.Length + 1)..]]
            : [canonical];

    /// <summary>Whether the image's location is where a capture into this very MachineImage is committed.</summary>
    private bool IsCaptureOfThis(MachineImage image) =>
        ImageLocation.TryParse(image.ImageLocation, out var location, out _) && location!.CapturedImageLocalId == LocalId;

    public static MachineImage Check(MachineImage image, bool requireAll)
    {
        CommonValidation.Check(image);
        if (requireAll && string.IsNullOrWhiteSpace(image.ImageLocation))
            throw CimiException.Invalid("MachineImage 'imageLocation' is required.");
        CommonValidation.NonBlank(image.ImageLocation, "imageLocation", 2048);
        if (image.Type is { } type && !Types.Contains(type))
            throw CimiException.Invalid($"MachineImage 'type' must be one of {string.Join(", ", Types)}, not '{type}'.");
        if (image.State is { } s && s is not ("CREATING" or "AVAILABLE" or "DELETING" or "ERROR"))
            throw CimiException.Invalid($"MachineImage 'state' '{s}' is not a MachineImage state.");
        return image;
    }

    public static MachineImage Merge(MachineImage referenced, MachineImage overrides) => referenced with
    {
        ImageLocation = overrides.ImageLocation ?? referenced.ImageLocation,
        Type = overrides.Type ?? referenced.Type,
    };
}
