using CimiGrains.Credentials;
using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Common;

/// <summary>
/// A CIMI resource type as the cluster stores it: its type name and the collection segment its ids
/// live under (<c>machines/…</c>). The read model is keyed by <see cref="TypeName"/>. Each kind is
/// declared by its type's registration (<see cref="CimiTypeRegistry"/>); the named kinds below are
/// shorthands for the grains that use them.
/// </summary>
public sealed record ResourceKind(string TypeName, string CollectionSegment)
{
    public static ResourceKind Machine => MachineRegistration.Type.Kind;
    public static ResourceKind MachineTemplate => MachineTemplateRegistration.Type.Kind;
    public static ResourceKind MachineConfiguration => MachineConfigurationRegistration.Type.Kind;
    public static ResourceKind MachineImage => MachineImageRegistration.Type.Kind;
    public static ResourceKind Credential => CredentialRegistration.Type.Kind;
    public static ResourceKind CredentialTemplate => CredentialTemplateRegistration.Type.Kind;
    public static ResourceKind Job => JobRegistration.Type.Kind;

    /// <summary>Every registered kind, in CloudEntryPoint order.</summary>
    public static IReadOnlyList<ResourceKind> All => [.. CimiTypeRegistry.All.Select(r => r.Kind)];

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
