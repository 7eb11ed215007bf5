using CimiGrains.Credentials;
using CimiGrains.Gateway.CloudEntryPoint;
using CimiGrains.Gateway.Hosting;
using CimiGrains.Grains.Machines;
using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Gateway.ResourceMetadata;

/// <summary>
/// The ResourceMetadata of every type CimiGrains serves, generated from the type descriptors (the
/// same ones that drive both renderings), so an attribute — and every CimiGrains extension with its
/// namespace — is described exactly as it is written. Capabilities, actions and value constraints
/// are the facts the grains enforce, stated once here.
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
        .. All.Select(r => r.Name != "Job" ? r : r with
        {
            Capabilities = [.. r.Capabilities!.Select(c => c.Name != JobRetention ? c : c with
            {
                Value = options.JobRetentionMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Description = options.JobRetentionMinutes < 0
                    ? "Minutes a finished Job is kept: -1, Jobs are kept until a consumer deletes them."
                    : "Minutes a finished Job is kept at least; then it is purged.",
            })],
        }),
    ];

    public static ResourceMetadataRecord? Find(IReadOnlyList<ResourceMetadataRecord> catalog, string typeName) =>
        catalog.FirstOrDefault(r => string.Equals(r.Name, typeName, StringComparison.Ordinal));

    public static ResourceMetadataRecord? Find(string typeName) => Find(All, typeName);

    private const string JobRetention = "JobRetention";

    private static string CapabilityUri(string type, string name) => $"{CimiUris.Namespace}/capability/{type}/{name}";

    private static CapabilityMetadata Capability(string type, string name, string value, string description) =>
        new() { Name = name, Uri = CapabilityUri(type, name), Value = value, Description = description };

    private static IReadOnlyList<ResourceMetadataRecord> Build()
    {
        var types = new List<(string Name, Type Clr, IReadOnlySet<string> ReadOnly)>
        {
            ("CloudEntryPoint", typeof(CloudEntryPointResource), ReadOnlyAll<CloudEntryPointResource>()),
        };
        types.AddRange(CimiTypes.All.Select(t => (t.TypeName, t.ClrType, t.ReadOnlyAttributes)));
        return [.. types.Select(t => Describe(t.Name, t.Clr, t.ReadOnly))];
    }

    private static HashSet<string> ReadOnlyAll<T>() => [.. CimiDescriptors.For<T>().Attributes.Select(a => a.Name)];

    private static ResourceMetadataRecord Describe(string typeName, Type clrType, IReadOnlySet<string> readOnly)
    {
        var descriptor = CimiDescriptors.For(clrType);
        return new ResourceMetadataRecord
        {
            Id = $"{ResourceMetadataApi.Path}/{typeName}",
            Name = typeName,
            TypeUri = CimiUris.TypeUri(typeName),
            Attributes = [.. descriptor.Attributes.Select(a => Attribute(typeName, a, readOnly))],
            Capabilities = Capabilities(typeName),
            Actions = Actions(typeName),
        };
    }

    private static AttributeMetadata Attribute(string typeName, CimiAttribute attribute, IReadOnlySet<string> readOnly)
    {
        var (values, ranges, description) = Constraints(typeName, attribute);
        return new AttributeMetadata
        {
            Name = attribute.Name,
            Namespace = attribute.XmlNamespace,
            Type = attribute.CimiTypeName,
            Required = attribute.Name == "id",
            ConsumerWritable = !readOnly.Contains(attribute.Name),
            Description = attribute.IsExtension ? $"CimiGrains extension. {description}".TrimEnd() : description,
            Values = values ?? attribute.AllowedValues,
            Ranges = ranges,
        };
    }

    /// <summary>The constraints the grains enforce, where a type's attribute has one.</summary>
    private static (IReadOnlyList<string>? Values, IReadOnlyList<ValueRange>? Ranges, string? Description) Constraints(string typeName, CimiAttribute attribute) =>
        (typeName, attribute.Name) switch
        {
            ("MachineConfiguration" or "Machine", "cpu") => (null, [new ValueRange { Low = 1, High = 1024 }], "Number of virtual CPUs."),
            ("MachineConfiguration" or "Machine", "memory") => (null, [new ValueRange { Low = 4096 }], "Memory in KiB."),
            ("MachineTemplate", "initialState") => ([.. MachineTemplateGrain.InitialStates.Select(s => s.ToString())], null,
                "The state a new Machine is brought to; absent means the DefaultInitialState capability."),
            ("Machine", "machineImage") => (null, null, "The MachineImage the Machine was created from."),
            ("Machine", "machineConfig") => (null, null, "The MachineConfiguration the Machine was created from."),
            ("Machine", "host") => (null, null, "The host (agent) the Machine is placed on, once placed."),
            ("Credential" or "CredentialTemplate", "key") => (null, null, "An OpenSSH public key installed for userName."),
            ("Credential" or "CredentialTemplate", "password") => (null, null, "Write-only: accepted, never returned."),
            ("Job", "action") => (null, null, "add, edit, delete, or an action URI."),
            _ => (null, null, null),
        };

    private static IReadOnlyList<CapabilityMetadata>? Capabilities(string typeName) => typeName switch
    {
        "CloudEntryPoint" =>
        [
            Capability(typeName, "FilterParameter", "true", "$filter with the DSP0263 grammar, nested attributes (a/b) and property['key']."),
            Capability(typeName, "ExpandParameter", "true", "$expand of references, '*' and nested paths (a/b)."),
            Capability(typeName, "SelectParameter", "true", "$select on collections and resources; with PUT, a partial update."),
            Capability(typeName, "firstParameter", "true", "$first and $last, 1-based and inclusive."),
            Capability(typeName, "OrderByParameter", "true", "$orderby=attr[:asc|:desc],…"),
        ],
        "Machine" =>
        [
            Capability(typeName, "DefaultInitialState", MachineStateName.STARTED.ToString(), "The state of a new Machine when the template names none."),
            Capability(typeName, "InitialStates", string.Join(",", MachineTemplateGrain.InitialStates), "The allowed initialState values."),
            Capability(typeName, "MachineTemplateByValue", "true", "A MachineCreate may carry its MachineTemplate by value."),
            Capability(typeName, "MachineConfigByValue", "true", "A MachineTemplate may carry its MachineConfiguration by value."),
            Capability(typeName, "MachineImageByValue", "true", "A MachineTemplate may carry its MachineImage by value."),
            Capability(typeName, "MachineCredentialByValue", "true", "A MachineTemplate may carry its Credential by value."),
            Capability(typeName, "MachineStopForce", "true", "stop and restart accept force."),
            Capability(typeName, "MachineStopForceDefault", "false", "stop and restart are graceful unless force is true."),
        ],
        "Credential" => [Capability(typeName, "CredentialTemplateByValue", "true", "A CredentialCreate may carry its CredentialTemplate by value.")],
        "Job" => [Capability(typeName, JobRetention, "-1", "Set per deployment; see Configured.")],
        _ => null,
    };

    private static IReadOnlyList<ActionMetadata>? Actions(string typeName) => typeName switch
    {
        "Machine" =>
        [
            .. Enum.GetValues<MachineAction>().Where(a => a != MachineAction.Capture).Select(a => new ActionMetadata
            {
                Name = a.ToString().ToLowerInvariant(),
                Uri = CimiUris.Action(a.ToString().ToLowerInvariant()),
                Method = "POST",
                InputMessage = "Action",
                OutputMessage = "Job",
                Description = a is MachineAction.Stop or MachineAction.Restart ? $"{a} the Machine; 'force' is honoured." : $"{a} the Machine.",
            }),
        ],
        _ => null,
    };
}
