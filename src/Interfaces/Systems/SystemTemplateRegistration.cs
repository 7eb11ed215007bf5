namespace CimiGrains.Systems;

/// <summary>The SystemTemplate type: a stored resource whose components its grain checks as a whole, exported and
/// imported as OVF envelopes (the Gateway maps the collection POST for the import).</summary>
public static class SystemTemplateRegistration
{
    /// <summary>The segment after a template's id of its export URL (<c>systemTemplates/{id}/ovf</c>).</summary>
    public const string EnvelopeSegment = "ovf";

    public static readonly CimiActionDeclaration Export = new("export",
        "Export the SystemTemplate as an OVF envelope (DSP0243 1.1): 'format' is application/ovf (the default; nothing else is offered), " +
        "'destination' is not supported (this cloud sends nothing to other addresses). Answered 200 with the envelope's URL in Location " +
        $"(the template's id + '/{EnvelopeSegment}'); a GET of it gives the envelope, application/ovf+xml, built from the template as it is then.",
        OutputMessage: "application/ovf+xml");

    public static readonly CimiActionDeclaration Import = new("import",
        "On the SystemTemplate collection: create a SystemTemplate (201) from an OVF envelope. 'source' must be the export URL of one of the " +
        "tenant's SystemTemplates (…/systemTemplates/{id}/ovf); nothing is fetched from other addresses. As a CimiGrains extension the " +
        "envelope itself may be POSTed to the collection with Content-Type application/ovf+xml.",
        OutputMessage: "SystemTemplate");

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
        Routing = CimiRouting.CustomCreate,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "componentDescriptors", "meterTemplates", "eventLogTemplate", "operations"],
        Documents =
        [
            // DSP8009's componentDescriptor: name, description, property*, type, then any element (the template, the quantity).
            new(typeof(ComponentDescriptor), "ComponentDescriptor", ["name", "description", "properties", "type",
                .. SystemComponents.Types.Select(t => t.TemplateAttribute), "quantity"]),
        ],
        Capabilities =
        [
            new("SystemTemplateOvf", "true",
                "CimiGrains extension. A SystemTemplate exports as an OVF 1.1 envelope and an envelope imports as a SystemTemplate, keeping every " +
                "component (docs/SYSTEMS.md has the mapping): the template is a VirtualSystemCollection, a Machine component a VirtualSystem " +
                "(CPUs and memory in KiB, disks and NICs in its VirtualHardwareSection, the image location a File), a nested System a nested " +
                "VirtualSystemCollection, a Network component a NetworkSection entry, a Volume component a DiskSection disk (capacity in KiB, " +
                "format); each component's CIMI ComponentDescriptor rides in a section of namespace urn:cimigrains:ovf:1 marked " +
                "ovf:required=\"false\". Every template is exported by value. Passwords are never exported: each is a ProductSection property " +
                "with ovf:password=\"true\" and no value, which an import must be given. Envelopes CimiGrains did not write import too: each " +
                "VirtualSystem a Machine component, each Network it uses a PRIVATE Network component."),
        ],
        Actions = [Export, Import],
        CollectionActions = [Import],
        Constraints =
        [
            new("componentDescriptors", $"{Quantity.Description} At most {SystemComponents.MaxComponents} components, each named (1 to 64 letters, digits, '-', " +
                $"'_', '.'; unique), of type …/{string.Join(", ", SystemComponents.Types.Select(t => t.TypeName))}, with the one template of " +
                $"its type; Systems nest at most {SystemComponents.MaxDepth} deep."),
            SystemRegistration.PlacementPolicy,
        ],
    };
}
