using System.Xml.Serialization;

namespace CimiGrains.Gateway.ResourceMetadata;

/// <summary>An inclusive integer range an attribute's value must lie in (<c>&lt;range low high/&gt;</c>).</summary>
public sealed record ValueRange
{
    [XmlAttribute("low")] public long? Low { get; init; }
    [XmlAttribute("high")] public long? High { get; init; }
}
