namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// How one registered CIMI resource type appears on the wire: its type name (XML root, type URI), the
/// collection it lives in, the JSON array that lists it, the CloudEntryPoint attribute that links to
/// it, and the attributes a consumer may not write. Every fact comes from its
/// <see cref="CimiTypeRegistration"/>; this adds only the names the binding derives from them.
/// </summary>
public sealed record CimiType(CimiTypeRegistration Registration)
{
    public ResourceKind Kind => Registration.Kind;
    public Type ClrType => Registration.Record;
    public string CollectionArray => Registration.CollectionArray;
    public string EntryPointAttribute => Registration.EntryPointAttribute;
    public bool ConsumerCreatable => Registration.ConsumerCreatable;
    public IReadOnlySet<string> ReadOnlyAttributes { get; } = Registration.ReadOnlyAttributes();

    public string TypeName => Kind.TypeName;
    public string TypeUri => CimiUris.TypeUri(Kind.TypeName);
    public string CollectionTypeName => Kind.TypeName + "Collection";
    public string CollectionTypeUri => CimiUris.TypeUri(CollectionTypeName);
}
