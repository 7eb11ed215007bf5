namespace CimiGrains.Common;

/// <summary>
/// Everything about one CIMI resource type that is not its record's shape, declared once in a
/// <c>…Registration</c> class beside the record. The type registry collects every registration; the
/// read model keys rows by <see cref="Kind"/>, and the Gateway generates the CloudEntryPoint link,
/// the routes, the renderings' element order and the ResourceMetadata from it.
/// </summary>
public sealed record CimiTypeRegistration
{
    /// <summary>Elements DSP8009 puts first in every resource, in its order.</summary>
    public static readonly IReadOnlyList<string> CommonElements = ["id", "name", "description", "created", "updated", "properties"];

    /// <summary>Attributes of every resource that only the provider sets.</summary>
    public static readonly IReadOnlySet<string> CommonReadOnly =
        new HashSet<string>(StringComparer.Ordinal) { "id", "created", "updated", "operations", "href" };

    /// <summary>Type name (XML root, type URI, read-model kind) and the collection segment of its ids.</summary>
    public required ResourceKind Kind { get; init; }

    /// <summary>The CLR record of the resource.</summary>
    public required Type Record { get; init; }

    /// <summary>The grain interface serving one resource; an <see cref="ICimiResourceGrain{T}"/> of <see cref="Record"/> unless routing is <see cref="CimiRouting.Custom"/>.</summary>
    public required Type Grain { get; init; }

    /// <summary>The JSON array of the collection document (<c>machines</c>).</summary>
    public required string CollectionArray { get; init; }

    /// <summary>The CloudEntryPoint attribute linking the collection (<c>machineConfigs</c>).</summary>
    public required string EntryPointAttribute { get; init; }

    public required CimiRouting Routing { get; init; }

    /// <summary>DSP8009's element order for the resource: <see cref="CommonElements"/>, then the type's own (with <c>operations</c> where the schema puts it).</summary>
    public required IReadOnlyList<string> ElementOrder { get; init; }

    /// <summary>Attributes only the provider sets, besides <see cref="CommonReadOnly"/>.</summary>
    public IReadOnlyList<string> ProviderAttributes { get; init; } = [];

    /// <summary>The family's other documents (Create documents, structures) and their element order.</summary>
    public IReadOnlyList<CimiDocumentOrder> Documents { get; init; } = [];

    public IReadOnlyList<CimiCapability> Capabilities { get; init; } = [];

    public IReadOnlyList<CimiActionDeclaration> Actions { get; init; } = [];

    /// <summary>Actions the collection offers besides <c>add</c> (DSP0263 1.1: <c>import</c> on the SystemTemplate
    /// collection), listed in its <c>operations</c> with the collection's id as their href.</summary>
    public IReadOnlyList<CimiActionDeclaration> CollectionActions { get; init; } = [];

    public IReadOnlyList<CimiAttributeConstraint> Constraints { get; init; } = [];

    public string TypeName => Kind.TypeName;

    /// <summary>Only the provider makes these, although the family maps its routes itself (<see cref="CimiRouting.Custom"/>):
    /// Events and the implicit EventLogs.</summary>
    public bool CreatedByProvider { get; init; }

    public bool ConsumerCreatable => Routing != CimiRouting.ProviderCreated && !CreatedByProvider;

    /// <summary>Every attribute a consumer may not write: the common ones and <see cref="ProviderAttributes"/>.</summary>
    public IReadOnlySet<string> ReadOnlyAttributes() => new HashSet<string>(CommonReadOnly.Concat(ProviderAttributes), StringComparer.Ordinal);

    public CimiAttributeConstraint? ConstraintOf(string attribute) =>
        Constraints.FirstOrDefault(c => string.Equals(c.Attribute, attribute, StringComparison.Ordinal));
}
