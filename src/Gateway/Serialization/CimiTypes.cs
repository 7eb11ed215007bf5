using CimiGrains.Credentials;
using CimiGrains.Jobs;
using CimiGrains.Machines;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// The registered resource types (<see cref="CimiTypeRegistry"/>) as the binding sees them, in
/// CloudEntryPoint order. The named ones are shorthands for the family APIs; a new type needs none.
/// </summary>
public static class CimiTypes
{
    /// <summary>Attributes of every resource that only the provider sets.</summary>
    public static IReadOnlySet<string> CommonReadOnly => CimiTypeRegistration.CommonReadOnly;

    public static IReadOnlyList<CimiType> All { get; } = [.. CimiTypeRegistry.All.Select(r => new CimiType(r))];

    public static CimiType Machine => Of(MachineRegistration.Type);
    public static CimiType MachineTemplate => Of(MachineTemplateRegistration.Type);
    public static CimiType MachineConfiguration => Of(MachineConfigurationRegistration.Type);
    public static CimiType MachineImage => Of(MachineImageRegistration.Type);
    public static CimiType Credential => Of(CredentialRegistration.Type);
    public static CimiType CredentialTemplate => Of(CredentialTemplateRegistration.Type);
    public static CimiType Job => Of(JobRegistration.Type);

    public static CimiType Of(CimiTypeRegistration registration) => All.First(t => t.Registration == registration);

    public static CimiType? ForSegment(string segment) =>
        All.FirstOrDefault(t => t.Kind.CollectionSegment == segment);
}
