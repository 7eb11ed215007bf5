using CimiGrains.Events;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Events;

/// <summary>An EventLogTemplate: its persistence must be one the deployment can keep, and its target one of the tenant's resources.</summary>
public sealed class EventLogTemplateGrain(
    [PersistentState("eventLogTemplate", "cimi")] IPersistentState<ResourceState<EventLogTemplate>> state,
    ResourceReadModel readModel,
    IOptions<EventOptions> options)
    : CimiResourceGrain<EventLogTemplate>(state, readModel, EventLogTemplateRegistration.Type.Kind), IEventLogTemplateGrain
{
    protected override async Task<EventLogTemplate> ValidateAsync(EventLogTemplate document)
    {
        CommonValidation.Check(document);
        EventLogPersistence.Check(document.Persistence, options.Value.Retention);
        if (document.TargetResource is { Href: var href }) await TemplateEventLogs.TargetAsync(ReadModel, TenantId, href);
        return document;
    }
}
