using System.Xml.Serialization;

namespace CimiGrains.Gateway.ResourceMetadata;

/// <summary>
/// A capability (<c>…/capability/{Type}/{Name}</c>) and its value. DSP8009 gives <c>capability</c>
/// element-only content, so in XML the value is a <c>value</c> child rather than text.
/// </summary>
public sealed record CapabilityMetadata
{
    [XmlAttribute("name")] public required string Name { get; init; }
    [XmlAttribute("uri")] public required string Uri { get; init; }
    [XmlAttribute("description")] public string? Description { get; init; }
    public string? Value { get; init; }
}
