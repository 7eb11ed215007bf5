using System.Collections.Frozen;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// The shape of one CIMI type, derived from its CLR record: the attributes in the order the DMTF
/// schema (DSP8009) lists their elements — common elements, type-specific elements, <c>operation</c>,
/// then CimiGrains extensions. The JSON writer orders keys by it, the XML writer and reader map
/// elements by it, and ResourceMetadata describes the type from it.
/// </summary>
public sealed class CimiDescriptor
{
    private readonly FrozenDictionary<string, CimiAttribute> _byName;
    private readonly FrozenDictionary<string, CimiAttribute> _byXmlName;
    private readonly FrozenDictionary<string, CimiAttribute> _byXmlNameIgnoreCase;

    public CimiDescriptor(string typeName, Type clrType, IReadOnlyList<CimiAttribute> attributes)
    {
        TypeName = typeName;
        ClrType = clrType;
        Attributes = attributes;
        _byName = attributes.ToFrozenDictionary(a => a.Name, StringComparer.Ordinal);
        _byXmlName = attributes.ToFrozenDictionary(a => a.XmlName, StringComparer.Ordinal);
        _byXmlNameIgnoreCase = attributes.DistinctBy(a => a.XmlName, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(a => a.XmlName, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The CIMI type name: XML root element and the last segment of the type URI.</summary>
    public string TypeName { get; }

    public Type ClrType { get; }

    public IReadOnlyList<CimiAttribute> Attributes { get; }

    public string TypeUri => CimiUris.TypeUri(TypeName);

    public CimiAttribute? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The attribute an XML element (or XML attribute) names; case-insensitively as a fallback, for sloppy clients.</summary>
    public CimiAttribute? FindXml(string localName) =>
        _byXmlName.GetValueOrDefault(localName) ?? _byXmlNameIgnoreCase.GetValueOrDefault(localName);

    public override string ToString() => TypeName;
}
