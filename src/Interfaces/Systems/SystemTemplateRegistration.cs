namespace CimiGrains.Systems;

/// <summary>The SystemTemplate type: a plain stored resource whose components its grain checks as a whole.</summary>
public static class SystemTemplateRegistration
{
    public static readonly CimiAttributeConstraint Quantity = new("quantity",
        $"How many resources a component makes: 1 (when absent) to {SystemComponents.MaxResources}; a System makes at most " +
        $"{SystemComponents.MaxResources} resources in all, nested Systems included.") { Low = 1, High = SystemComponents.MaxResources };

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("SystemTemplate", "systemTemplates"),
        Record = typeof(SystemTemplate),
        Grain = typeof(ISystemTemplateGrain),
        CollectionArray = "systemTemplates",
        EntryPointAttribute = "systemTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "componentDescriptors", "meterTemplates", "eventLogTemplate", "operations"],
        Documents =
        [
            // DSP8009's componentDescriptor: name, description, property*, type, then any element (the template, the quantity).
            new(typeof(ComponentDescriptor), "ComponentDescriptor", ["name", "description", "properties", "type",
                "credentialTemplate", "networkTemplate", "volumeTemplate", "machineTemplate", "systemTemplate", "quantity"]),
        ],
        Constraints =
        [
            new("componentDescriptors", $"{Quantity.Description} At most {SystemComponents.MaxComponents} components, each named (1 to 64 letters, digits, '-', " +
                $"'_', '.'; unique), of type …/Credential, Network, Volume, Machine or System, with the one template of its type; Systems nest " +
                $"at most {SystemComponents.MaxDepth} deep."),
            SystemRegistration.PlacementPolicy,
        ],
    };
}
