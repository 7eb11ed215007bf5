using System.Xml.Serialization;

namespace CimiGrains.Gateway.ResourceMetadata;

/// <summary>
/// One attribute of a resource type: <c>namespace</c> is the CIMI namespace for standard attributes
/// and the CimiGrains namespace for extensions. Constraints follow CIMI 1.1: <c>values</c> for
/// enumerations, <c>ranges</c> for integers.
/// </summary>
public sealed record AttributeMetadata
{
    [XmlAttribute("name")] public required string Name { get; init; }
    [XmlAttribute("namespace")] public string? Namespace { get; init; }
    [XmlAttribute("type")] public required string Type { get; init; }
    [XmlAttribute("required")] public bool? Required { get; init; }
    [XmlAttribute("consumerWritable")] public bool? ConsumerWritable { get; init; }
    public string? Description { get; init; }
    [XmlElement("value")] public IReadOnlyList<string>? Values { get; init; }
    [XmlElement("range")] public IReadOnlyList<ValueRange>? Ranges { get; init; }
}
