namespace CimiGrains.Meters;

/// <summary>The MeterTemplate type: a plain stored resource.</summary>
public static class MeterTemplateRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("MeterTemplate", "meterTemplates"),
        Record = typeof(MeterTemplate),
        Grain = typeof(IMeterTemplateGrain),
        CollectionArray = "meterTemplates",
        EntryPointAttribute = "meterTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "targetResource", "meterConfig", "operations"],
        Constraints =
        [
            new("targetResource", "The resource to meter; absent in a template a MachineTemplate names (the Machine being made is the target)."),
        ],
    };
}
