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
        var expanded = await SystemTemplates.ExpandAsync(GrainFactory, ReadModel, TenantId, document, ResourceId);
        // Its MeterTemplates must resolve and offer aspects a System has (a nested template's are checked when it is stored).
        await Meters.TemplateMeters.ResolveAsync(GrainFactory, TenantId, SystemRegistration.Type.TypeName, expanded.Template.MeterTemplates,
            Meters.TemplateMeters.SamplingPeriod(ServiceProvider));
        await Events.TemplateEventLogs.ResolveAsync(GrainFactory, TenantId, expanded.Template.EventLogTemplate, Events.TemplateEventLogs.Retention(ServiceProvider));
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

    /// <summary>A PUT of what a GET gave has no passwords (they are never shown): a component left without one keeps
    /// the one it had, matched by component name (and by nesting, for nested templates). A password sent replaces it.</summary>
    protected override SystemTemplate KeepOnUpdate(SystemTemplate current, SystemTemplate updated) => KeepSecrets(current, updated);

    private static SystemTemplate KeepSecrets(SystemTemplate? current, SystemTemplate updated)
    {
        if (current?.ComponentDescriptors is not { } had || updated.ComponentDescriptors is not { } components) return updated;
        var byName = had.Where(c => c.Name is not null).GroupBy(c => c.Name!).ToDictionary(g => g.Key, g => g.First());
        return updated with
        {
            ComponentDescriptors = components.Select(c =>
            {
                if (c.Name is null || !byName.TryGetValue(c.Name, out var before) || before.Type != c.Type) return c;
                return c with
                {
                    CredentialTemplate = c.CredentialTemplate is { Password: null } credential && before.CredentialTemplate?.Password is { } password
                        ? credential with { Password = password }
                        : c.CredentialTemplate,
                    MachineTemplate = c.MachineTemplate is { Credential: { Password: null } machineCredential } machine
                        && before.MachineTemplate?.Credential?.Password is { } machinePassword
                            ? machine with { Credential = machineCredential with { Password = machinePassword } }
                            : c.MachineTemplate,
                    SystemTemplate = c.SystemTemplate is { } nested ? KeepSecrets(before.SystemTemplate, nested) : null,
                };
            }).ToList(),
        };
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
