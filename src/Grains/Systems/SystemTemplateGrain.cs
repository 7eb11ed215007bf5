using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Systems;

namespace CimiGrains.Grains.Systems;

/// <summary>A SystemTemplate: stored as the consumer gave it (references stay references), once the whole of it
/// checks out (<see cref="SystemTemplates"/>).</summary>
public sealed class SystemTemplateGrain(
    [PersistentState("systemTemplate", "cimi")] IPersistentState<ResourceState<SystemTemplate>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<SystemTemplate>(state, readModel, SystemTemplateRegistration.Type.Kind), ISystemTemplateGrain
{
    protected override async Task<SystemTemplate> ValidateAsync(SystemTemplate document)
    {
        // The template's own id is in the chain, so a template that names itself (after an update) is a cycle too.
        await SystemTemplates.ExpandAsync(GrainFactory, ReadModel, TenantId, document, ResourceId);
        return document;
    }

    public Task<SystemTemplate> GetByValue() => SystemTemplateValues.ExpandAsync(GrainFactory, TenantId, Existing());

    /// <summary>Passwords are write-only here as in a CredentialTemplate: the stored template keeps them (sealed at rest).
    /// The template offers its export (docs/SYSTEMS.md, "Export and import").</summary>
    protected override SystemTemplate Public(SystemTemplate resource)
    {
        var shown = base.Public(WithoutSecrets(resource));
        return shown with { Operations = [.. shown.Operations!, new Operation(SystemTemplateRegistration.Export.Uri, ResourceId)] };
    }

    /// <summary>The template with every password in its components (and nested templates) left out.</summary>
    public static SystemTemplate WithoutSecrets(SystemTemplate template) => template with
    {
        ComponentDescriptors = template.ComponentDescriptors?.Select(c => c with
        {
            CredentialTemplate = c.CredentialTemplate is { } credential ? credential with { Password = null } : null,
            MachineTemplate = c.MachineTemplate is { Credential: { } machineCredential } machine
                ? machine with { Credential = machineCredential with { Password = null } }
                : c.MachineTemplate,
            SystemTemplate = c.SystemTemplate is { } nested ? WithoutSecrets(nested) : null,
        }).ToList(),
    };
}
