using CimiGrains.Events;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Events;

/// <summary>
/// Making a resource's EventLog explicit from an EventLogTemplate: from an EventLogCreate (its template's
/// target), or from the <c>eventLogTemplate</c> a resource's template names (checked with the resource's
/// create, before anything is stored, and made once the resource exists), as TemplateMeters does for Meters.
/// </summary>
public static class TemplateEventLogs
{
    /// <summary>The deployment's retention (null: forever): the longest persistence a log may ask for.</summary>
    public static TimeSpan? Retention(IServiceProvider services) =>
        services.GetRequiredService<IOptions<EventOptions>>().Value.Retention;

    /// <summary>A 400 unless <paramref name="href"/> names one of the tenant's resources (not an EventLog: a log of a log is not made explicit).</summary>
    public static async Task TargetAsync(ResourceReadModel readModel, string tenantId, string href)
    {
        var registration = ResourceTargets.RegistrationOf(href);
        if (registration.Kind == EventLogRegistration.Type.Kind)
            throw CimiException.Invalid($"'targetResource' must be a resource whose events a log holds, not the EventLog '{href}'.");
        await ResourceTargets.RequireExistsAsync(readModel, tenantId, registration, href);
    }

    /// <summary>A template reference with attributes alongside: those given override the stored ones.</summary>
    public static EventLogTemplate Merge(EventLogTemplate referenced, EventLogTemplate overrides) => referenced with
    {
        TargetResource = overrides.TargetResource ?? referenced.TargetResource,
        Persistence = overrides.Persistence ?? referenced.Persistence,
    };

    /// <summary>
    /// The template a resource's template names, resolved (a reference, with overrides) and checked, or null
    /// when it names none; a 400 names what fails. Its own targetResource is dropped: the target is the
    /// resource being made.
    /// </summary>
    public static async Task<EventLogTemplate?> ResolveAsync(IGrainFactory grains, string tenantId, EventLogTemplate? given, TimeSpan? retention)
    {
        var template = await References.ResolveOrValueAsync<IEventLogTemplateGrain, EventLogTemplate>(grains, tenantId,
            EventLogTemplateRegistration.Type.Kind, "eventLogTemplate", given, Merge);
        if (template is null) return null;
        try
        {
            EventLogPersistence.Check(template.Persistence, retention);
        }
        catch (CimiException e)
        {
            throw CimiException.Invalid($"'eventLogTemplate': {e.Message}");
        }
        return template with { Href = null, TargetResource = null };
    }

    /// <summary>Makes the explicit log of the resource just created. A failure is logged: the template was
    /// checked before the resource was stored, and the resource must not fail for its log.</summary>
    public static async Task CreateAsync(IGrainFactory grains, ILogger logger, string tenantId, string resourceId, EventLogTemplate? template)
    {
        if (template is null) return;
        try
        {
            await LogOf(grains, tenantId, resourceId).Create(Log(template, naming: null, resourceId));
        }
        catch (CimiException e)
        {
            logger.LogWarning("The EventLog of {ResourceId} from its template was not made explicit: {Reason}", resourceId, e.Message);
        }
    }

    /// <summary>
    /// POST eventLogs: the log of the template's target made explicit, named by the EventLogCreate (or else by
    /// the template). A 400 names a missing template, a template without target, a dangling reference (another
    /// tenant's template or target is as absent as none), or a bad persistence; a 409 a log already explicit.
    /// </summary>
    public static async Task<EventLog> CreateAsync(IGrainFactory grains, string tenantId, EventLogCreate create)
    {
        var given = create.EventLogTemplate
            ?? throw CimiException.Invalid("An EventLogCreate needs an 'eventLogTemplate' (by reference, by value, or both).");
        var template = (await References.ResolveOrValueAsync<IEventLogTemplateGrain, EventLogTemplate>(grains, tenantId,
            EventLogTemplateRegistration.Type.Kind, "eventLogTemplate", given, Merge))!;
        var target = template.TargetResource?.Href
            ?? throw CimiException.Invalid("An EventLogCreate's template needs a 'targetResource': the resource whose EventLog it makes explicit.");
        // Checked as an href of a resource before it becomes the log grain's key.
        ResourceTargets.RegistrationOf(target);
        return await LogOf(grains, tenantId, target).Create(Log(template, create, target));
    }

    private static IEventLogGrain LogOf(IGrainFactory grains, string tenantId, string resourceId) =>
        grains.GetGrain<IEventLogGrain>(GrainKeys.Of(tenantId, EventLogRegistration.Type.Kind.LocalIdOf(EventLogIds.ForResource(resourceId))!));

    private static EventLog Log(EventLogTemplate template, CimiResource? naming, string resourceId) => new()
    {
        Name = naming?.Name ?? template.Name,
        Description = naming?.Description ?? template.Description,
        Properties = naming?.Properties ?? template.Properties,
        TargetResource = new ResourceRef(resourceId),
        Persistence = template.Persistence,
    };
}
