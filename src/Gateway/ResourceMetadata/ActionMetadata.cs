using System.Xml.Serialization;

namespace CimiGrains.Gateway.ResourceMetadata;

/// <summary>An action a resource type offers: its URI, the HTTP method and the message it takes.</summary>
public sealed record ActionMetadata
{
    [XmlAttribute("name")] public required string Name { get; init; }
    [XmlAttribute("uri")] public required string Uri { get; init; }
    [XmlAttribute("description")] public string? Description { get; init; }
    [XmlAttribute("method")] public required string Method { get; init; }
    [XmlAttribute("inputMessage")] public string? InputMessage { get; init; }
    [XmlAttribute("outputMessage")] public string? OutputMessage { get; init; }
}
