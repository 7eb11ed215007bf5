using CimiGrains.Gateway.CloudEntryPoint;
using CimiGrains.Gateway.Hosting;
using CimiGrains.Events;
using CimiGrains.Jobs;

namespace CimiGrains.Gateway.ResourceMetadata;

/// <summary>
/// The ResourceMetadata of every type CimiGrains serves, generated from the type descriptors (the
/// same ones that drive both renderings), so an attribute — and every CimiGrains extension with its
/// namespace — is described exactly as it is written. Capabilities, actions and value constraints
/// are the facts the grains enforce, stated once in each type's registration.
/// </summary>
public static class ResourceMetadataCatalog
{
    private static readonly Lazy<IReadOnlyList<ResourceMetadataRecord>> Items = new(Build);

    public static IReadOnlyList<ResourceMetadataRecord> All => Items.Value;

    /// <summary>
    /// The catalog as this deployment runs: JobRetention is the operator's setting
    /// (<c>CIMI_JOB_RETENTION_MINUTES</c>), so its value is filled in here rather than built in.
    /// </summary>
    public static IReadOnlyList<ResourceMetadataRecord> Configured(CimiGatewayOptions options) =>
    [
        .. All.Select(r => r.Name switch
        {
            "Job" => WithJobRetention(r, options),
            "EventLog" => r with
            {
                Capabilities = [.. r.Capabilities!.Select(c => c.Name != EventLogRegistration.RetentionCapability ? c : c with
                {
                    Value = options.EventRetentionDays < 0 ? "forever" : $"P{options.EventRetentionDays}D",
                    Description = "How long events are kept after their timestamp (CIMI_EVENT_RETENTION_DAYS); then they are removed.",
                })],
            },
            _ => r,
        }),
    ];

    private static ResourceMetadataRecord WithJobRetention(ResourceMetadataRecord r, CimiGatewayOptions options) => r with
        {
            Capabilities = [.. r.Capabilities!.Select(c => c.Name != JobRetention ? c : c with
            {
                Value = options.JobRetentionMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Description = options.JobRetentionMinutes < 0
                    ? "Minutes a finished Job is kept: -1, Jobs are kept until a consumer deletes them."
                    : "Minutes a finished Job is kept at least; then it is purged.",
            })],
        };

    public static ResourceMetadataRecord? Find(IReadOnlyList<ResourceMetadataRecord> catalog, string typeName) =>
        catalog.FirstOrDefault(r => string.Equals(r.Name, typeName, StringComparison.Ordinal));

    public static ResourceMetadataRecord? Find(string typeName) => Find(All, typeName);

    private const string JobRetention = JobRegistration.RetentionCapability;

    private static string CapabilityUri(string type, string name) => $"{CimiUris.Namespace}/capability/{type}/{name}";

    private static IReadOnlyList<ResourceMetadataRecord> Build() =>
    [
        Describe("CloudEntryPoint", typeof(CloudEntryPointResource), ReadOnlyAll<CloudEntryPointResource>(), null, EntryPointCapabilities(), []),
        .. CimiTypes.All.Select(t => Describe(t.TypeName, t.ClrType, t.ReadOnlyAttributes, t.Registration.ConstraintOf,
            t.Registration.Capabilities, t.Registration.Actions)),
    ];

    private static HashSet<string> ReadOnlyAll<T>() => [.. CimiDescriptors.For<T>().Attributes.Select(a => a.Name)];

    private static ResourceMetadataRecord Describe(string typeName, Type clrType, IReadOnlySet<string> readOnly,
        Func<string, CimiAttributeConstraint?>? constraints, IReadOnlyList<CimiCapability> capabilities, IReadOnlyList<CimiActionDeclaration> actions)
    {
        var descriptor = CimiDescriptors.For(clrType);
        return new ResourceMetadataRecord
        {
            Id = $"{ResourceMetadataApi.Path}/{typeName}",
            Name = typeName,
            TypeUri = CimiUris.TypeUri(typeName),
            Attributes = [.. descriptor.Attributes.Select(a => Attribute(a, readOnly, constraints?.Invoke(a.Name)))],
            Capabilities = capabilities.Count == 0 ? null : [.. capabilities.Select(c => Capability(typeName, c))],
            Actions = actions.Count == 0 ? null : [.. actions.Select(Action)],
        };
    }

    private static AttributeMetadata Attribute(CimiAttribute attribute, IReadOnlySet<string> readOnly, CimiAttributeConstraint? constraint)
    {
        var description = constraint?.Description;
        return new AttributeMetadata
        {
            Name = attribute.Name,
            Namespace = attribute.XmlNamespace,
            Type = attribute.CimiTypeName,
            Required = attribute.Name == "id",
            ConsumerWritable = !readOnly.Contains(attribute.Name),
            Description = attribute.IsExtension ? $"CimiGrains extension. {description}".TrimEnd() : description,
            Values = constraint?.Values ?? attribute.AllowedValues,
            Ranges = constraint is { HasRange: true } ? [new ValueRange { Low = constraint.Low, High = constraint.High }] : null,
        };
    }

    private static CapabilityMetadata Capability(string typeName, CimiCapability capability) => new()
    {
        Name = capability.Name,
        Uri = CapabilityUri(typeName, capability.Name),
        Value = capability.Value,
        Description = capability.Description,
    };

    private static ActionMetadata Action(CimiActionDeclaration action) => new()
    {
        Name = action.Name,
        Uri = action.Uri,
        Method = action.Method,
        InputMessage = action.InputMessage,
        OutputMessage = action.OutputMessage,
        Description = action.Description,
    };

    /// <summary>The query capabilities of the binding itself, advertised on the CloudEntryPoint.</summary>
    private static IReadOnlyList<CimiCapability> EntryPointCapabilities() =>
    [
        new("FilterParameter", "true", "$filter with the DSP0263 grammar, nested attributes (a/b) and property['key']."),
        new("ExpandParameter", "true", "$expand of references, '*' and nested paths (a/b)."),
        new("SelectParameter", "true", "$select on collections and resources; with PUT, a partial update."),
        new("firstParameter", "true", "$first and $last, 1-based and inclusive."),
        new("OrderByParameter", "true", "$orderby=attr[:asc|:desc],…"),
    ];
}
