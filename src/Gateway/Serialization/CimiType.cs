namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// How one CIMI resource type appears on the wire: its type name (XML root, type URI), the collection
/// it lives in, the JSON array that lists it, the CloudEntryPoint attribute that links to it, and the
/// attributes a consumer may not write.
/// </summary>
public sealed record CimiType(
    ResourceKind Kind,
    Type ClrType,
    string CollectionArray,
    string EntryPointAttribute,
    bool ConsumerCreatable,
    IReadOnlySet<string> ReadOnlyAttributes)
{
    public string TypeName => Kind.TypeName;
    public string TypeUri => CimiUris.TypeUri(Kind.TypeName);
    public string CollectionTypeName => Kind.TypeName + "Collection";
    public string CollectionTypeUri => CimiUris.TypeUri(CollectionTypeName);
}
