namespace CimiGrains.Systems;

/// <summary>
/// How to make a System: its components (XML: repeated <c>componentDescriptor</c>), each a resource type, a
/// template of that type by reference or by value, and a quantity. A component names another component of
/// the same template by the href <c>#name</c> (<see cref="SystemComponents"/>). <see cref="PlacementPolicy"/>
/// is a CimiGrains extension (<see cref="SystemPlacement"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.SystemTemplate")]
public sealed record SystemTemplate : CimiResource
{
    [Id(0)] public IReadOnlyList<ComponentDescriptor>? ComponentDescriptors { get; init; }

    [Id(1)] public string? PlacementPolicy { get; init; }

    /// <summary>The Meters every System made from the template gets (by reference or by value; DSP8009 repeats the
    /// element under its plural name, <c>meterTemplates</c>). A System's series are its Machines' sums.</summary>
    [Id(2), System.Xml.Serialization.XmlElement("meterTemplates")] public IReadOnlyList<Meters.MeterTemplate>? MeterTemplates { get; init; }

    /// <summary>Makes every System made from the template's EventLog explicit with the template's name, description and
    /// persistence (docs/EVENTS.md).</summary>
    [Id(3)] public Events.EventLogTemplate? EventLogTemplate { get; init; }
}
