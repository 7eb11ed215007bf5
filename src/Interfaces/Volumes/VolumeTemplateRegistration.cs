namespace CimiGrains.Volumes;

/// <summary>The VolumeTemplate type: a plain stored resource whose references are resolved by its grain.</summary>
public static class VolumeTemplateRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("VolumeTemplate", "volumeTemplates"),
        Record = typeof(VolumeTemplate),
        Grain = typeof(IVolumeTemplateGrain),
        CollectionArray = "volumeTemplates",
        EntryPointAttribute = "volumeTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "volumeConfig", "volumeImage", "meterTemplates", "eventLogTemplate", "operations"],
        Constraints =
        [
            new("volumeConfig", "Required: by reference, by value, or by reference with overriding attributes."),
            new("volumeImage", "Optional initial content: an AVAILABLE VolumeImage of the tenant, or one naming a public (operator-registered) volume image."),
        ],
    };
}
