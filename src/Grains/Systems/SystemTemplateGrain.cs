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

    protected override SystemTemplate Public(SystemTemplate resource) => base.Public(resource) with
    {
        Operations = [.. base.Public(resource).Operations!, new Operation(SystemTemplateRegistration.Export.Uri, ResourceId)],
    };
}
