namespace CimiGrains.Common;

/// <summary>
/// A CIMI resource type as the cluster stores it: its type name and the collection segment its ids
/// live under (<c>machines/…</c>). The read model is keyed by <see cref="TypeName"/>.
/// </summary>
public sealed record ResourceKind(string TypeName, string CollectionSegment)
{
    public static readonly ResourceKind Machine = new("Machine", "machines");
    public static readonly ResourceKind MachineTemplate = new("MachineTemplate", "machineTemplates");
    public static readonly ResourceKind MachineConfiguration = new("MachineConfiguration", "machineConfigs");
    public static readonly ResourceKind MachineImage = new("MachineImage", "machineImages");
    public static readonly ResourceKind Credential = new("Credential", "credentials");
    public static readonly ResourceKind CredentialTemplate = new("CredentialTemplate", "credentialTemplates");
    public static readonly ResourceKind Job = new("Job", "jobs");

    public static IReadOnlyList<ResourceKind> All { get; } =
        [Machine, MachineTemplate, MachineConfiguration, MachineImage, Credential, CredentialTemplate, Job];

    /// <summary>The relative id of a resource of this kind: <c>machines/{localId}</c>.</summary>
    public string IdOf(string localId) => $"{CollectionSegment}/{localId}";

    /// <summary>Splits a relative href such as <c>machines/abc</c>; null when it is not of this kind.</summary>
    public string? LocalIdOf(string? href)
    {
        if (href is null || !href.StartsWith(CollectionSegment + "/", StringComparison.Ordinal)) return null;
        var local = href[(CollectionSegment.Length + 1)..];
        return local.Length > 0 && !local.Contains('/') ? local : null;
    }
}
