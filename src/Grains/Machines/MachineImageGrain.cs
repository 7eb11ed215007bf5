using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Machines;

namespace CimiGrains.Grains.Machines;

public sealed class MachineImageGrain(
    [PersistentState("machineImage", "cimi")] IPersistentState<ResourceState<MachineImage>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<MachineImage>(state, readModel, ResourceKind.MachineImage), IMachineImageGrain
{
    public static readonly string[] Types = ["IMAGE", "SNAPSHOT", "PARTIAL_SNAPSHOT"];

    protected override Task<MachineImage> ValidateAsync(MachineImage document)
    {
        var image = Check(document, requireAll: true);
        // A registered image is usable at once; captures are created by the Machine grain, which
        // sets the state itself (CREATING until the host has committed the image).
        return Task.FromResult(image with { State = image.State ?? "AVAILABLE", Type = image.Type ?? "IMAGE" });
    }

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
