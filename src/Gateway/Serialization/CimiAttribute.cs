namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// One attribute of a CIMI type as both renderings see it: its JSON name, its XML element (or XML
/// attribute) name, its kind, whether it is a CimiGrains extension (written in
/// <see cref="CimiNamespaces.Extensions"/> so DMTF-schema validation still passes), the nested type
/// of structures, and the allowed values of enumerations.
/// </summary>
public sealed record CimiAttribute(
    string Name,
    string XmlName,
    CimiValueKind Kind,
    Type ClrType,
    bool IsExtension,
    bool IsXmlAttribute,
    Func<CimiDescriptor?>? NestedFactory,
    IReadOnlyList<string>? AllowedValues)
{
    /// <summary>The descriptor of a structure's (or by-value ref's) content; resolved lazily because types nest recursively.</summary>
    public CimiDescriptor? Nested => NestedFactory?.Invoke();

    /// <summary>True for the two array kinds and <c>operations</c>, which repeat their XML element.</summary>
    public bool IsRepeated => IsScalarList || Kind is CimiValueKind.RefArray or CimiValueKind.StructArray or CimiValueKind.Operations or CimiValueKind.Map;

    /// <summary>A list of strings or integers (ResourceMetadata <c>values</c>): a JSON array, repeated XML elements.</summary>
    public bool IsScalarList { get; init; }

    /// <summary>The XML namespace of the element: the CIMI namespace, or the CimiGrains one for extensions.</summary>
    public string XmlNamespace => IsExtension ? CimiNamespaces.Extensions : CimiNamespaces.Cimi;

    /// <summary>The CIMI type name as ResourceMetadata and the $filter grammar describe it.</summary>
    public string CimiTypeName => Kind switch
    {
        CimiValueKind.String => "string",
        CimiValueKind.Integer => "integer",
        CimiValueKind.Boolean => "boolean",
        CimiValueKind.DateTime => "dateTime",
        CimiValueKind.Ref => "ref",
        CimiValueKind.RefArray => "ref[]",
        CimiValueKind.Struct => Nested?.TypeName is { } n ? n : "structure",
        CimiValueKind.StructArray => (Nested?.TypeName ?? "structure") + "[]",
        CimiValueKind.Map => "map",
        CimiValueKind.Operations => "operation[]",
        _ => "string",
    };
}
