namespace CimiGrains.Volumes;

/// <summary>The VolumeImage type: a POST to its collection is either a plain create or a capture of a Volume.</summary>
public static class VolumeImageRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("VolumeImage", "volumeImages"),
        Record = typeof(VolumeImage),
        Grain = typeof(IVolumeImageGrain),
        CollectionArray = "volumeImages",
        EntryPointAttribute = "volumeImages",
        // The POST may capture a Volume (imageLocation = the Volume's href): Gateway/Volumes/VolumeApi.
        Routing = CimiRouting.CustomCreate,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "state", "imageLocation", "bootable", "operations"],
        ProviderAttributes = ["state"],
        Constraints =
        [
            new("imageLocation", $"{VolumeImageLocation.Scheme}:REFERENCE in the cluster image store; POSTed as a Volume's href, the Volume is captured."),
            new("state", "CREATING while a capture is written, then AVAILABLE (or ERROR).") { Values = ["CREATING", "AVAILABLE", "DELETING", "ERROR"] },
        ],
    };
}
