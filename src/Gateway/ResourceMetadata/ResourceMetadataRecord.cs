using System.Text.Json.Serialization;
using System.Xml.Serialization;

namespace CimiGrains.Gateway.ResourceMetadata;

/// <summary>
/// A ResourceMetadata document (DSP0263 §5.11): what CimiGrains supports for one resource type —
/// its capabilities, its attributes (every CimiGrains extension among them, with its namespace) with
/// their value constraints, and its actions. Generated from the type's descriptor, never stored.
/// </summary>
/// <remarks>
/// In XML the attribute list is written as <c>cg:attribute</c> elements in the CimiGrains namespace:
/// DSP8009 1.0.0 declares <c>attribute</c> with the default maxOccurs of 1, so more than one CIMI
/// <c>attribute</c> element would not validate. Readers of ResourceMetadata XML find the same XML
/// attributes (<c>name namespace type required</c>) on them.
/// </remarks>
public sealed record ResourceMetadataRecord : CimiResource
{
    [JsonPropertyName("typeURI")] public string? TypeUri { get; init; }
    public IReadOnlyList<AttributeMetadata>? Attributes { get; init; }
    public IReadOnlyList<CapabilityMetadata>? Capabilities { get; init; }
    public IReadOnlyList<ActionMetadata>? Actions { get; init; }
}
