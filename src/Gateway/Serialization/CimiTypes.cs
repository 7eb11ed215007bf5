using CimiGrains.Credentials;
using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Gateway.Serialization;

/// <summary>The resource types this provider implements, in CloudEntryPoint order.</summary>
public static class CimiTypes
{
    /// <summary>Attributes of every resource that only the provider sets.</summary>
    public static readonly IReadOnlySet<string> CommonReadOnly =
        new HashSet<string>(StringComparer.Ordinal) { "id", "created", "updated", "operations", "href" };

    private static IReadOnlySet<string> ReadOnly(params string[] extra) =>
        new HashSet<string>(CommonReadOnly.Concat(extra), StringComparer.Ordinal);

    public static readonly CimiType Machine = new(ResourceKind.Machine, typeof(Machine), "machines", "machines", true,
        ReadOnly("state", "cpu", "memory", "cpuArch", "machineImage", "machineConfig", "host"));
    public static readonly CimiType MachineTemplate = new(ResourceKind.MachineTemplate, typeof(MachineTemplate),
        "machineTemplates", "machineTemplates", true, CommonReadOnly);
    public static readonly CimiType MachineConfiguration = new(ResourceKind.MachineConfiguration, typeof(MachineConfiguration),
        "machineConfigurations", "machineConfigs", true, CommonReadOnly);
    public static readonly CimiType MachineImage = new(ResourceKind.MachineImage, typeof(MachineImage),
        "machineImages", "machineImages", true, ReadOnly("state", "relatedImage"));
    public static readonly CimiType Credential = new(ResourceKind.Credential, typeof(Credential),
        "credentials", "credentials", true, CommonReadOnly);
    public static readonly CimiType CredentialTemplate = new(ResourceKind.CredentialTemplate, typeof(CredentialTemplate),
        "credentialTemplates", "credentialTemplates", true, CommonReadOnly);
    public static readonly CimiType Job = new(ResourceKind.Job, typeof(Job), "jobs", "jobs", false,
        ReadOnly("state", "targetResource", "affectedResources", "action", "returnCode", "progress", "statusMessage",
            "timeOfStatusChange", "parentJob", "nestedJobs"));

    public static IReadOnlyList<CimiType> All { get; } =
        [Machine, MachineTemplate, MachineConfiguration, MachineImage, Credential, CredentialTemplate, Job];

    public static CimiType? ForSegment(string segment) =>
        All.FirstOrDefault(t => t.Kind.CollectionSegment == segment);
}
