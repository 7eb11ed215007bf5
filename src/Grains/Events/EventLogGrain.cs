using CimiGrains.Events;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Events;

/// <summary>
/// An explicit EventLog: the name, description, properties and persistence a consumer gave the log of one
/// resource (<see cref="IEventLogGrain"/>). The key is the log's: a second create for the same resource is
/// the base's 409 naming it. Deleting it leaves the implicit log, whose events are still retained.
/// </summary>
public sealed class EventLogGrain(
    [PersistentState("eventLog", "cimi")] IPersistentState<ResourceState<EventLog>> state,
    ResourceReadModel readModel,
    IOptions<EventOptions> options)
    : CimiResourceGrain<EventLog>(state, readModel, EventLogRegistration.Type.Kind), IEventLogGrain
{
    protected override async Task<EventLog> ValidateAsync(EventLog document)
    {
        CommonValidation.Check(document);
        EventLogPersistence.Check(document.Persistence, options.Value.Retention);
        // Computed when read, never stored.
        document = document with { Events = null, Summary = null };
        // The target is fixed: an edit keeps it.
        if (State.State.Resource is { } current) return document with { TargetResource = current.TargetResource };
        var target = document.TargetResource?.Href ?? throw CimiException.Invalid("An EventLog needs a 'targetResource'.");
        await TemplateEventLogs.TargetAsync(ReadModel, TenantId, target);
        if (EventLogIds.ForResource(target) != ResourceId)
            throw new InvalidOperationException($"The log of '{target}' is {EventLogIds.ForResource(target)}, not {ResourceId}.");
        return document;
    }
}
