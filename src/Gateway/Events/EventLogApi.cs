using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Events;
using CimiGrains.Gateway.Resources;
using CimiGrains.Grains.Events;
using CimiGrains.ReadModel;

namespace CimiGrains.Gateway.Events;

/// <summary>
/// EventLogs and Events (docs/EVENTS.md), read from the journal's rows: <c>eventLogs</c> lists the
/// tenant's log and the explicit ones; <c>eventLogs/{segment}.{localId}</c> is a resource's log;
/// <c>{log}/events</c> and <c>events</c> (the tenant's log's events) are queried like any collection;
/// <c>events/{n}</c> is one Event. POST of an EventLogCreate makes a resource's log explicit (its name,
/// description, properties and persistence kept by an <see cref="IEventLogGrain"/>), which may then be
/// edited and deleted; implicit logs cannot, and Events are immutable: those writes are 405 naming why.
/// Another tenant's log or Event is 404, as is a log whose resource the tenant never had.
/// </summary>
public static class EventLogApi
{
    private static CimiType LogType => CimiTypes.Of(EventLogRegistration.Type);
    private static CimiType EventType => CimiTypes.Of(EventRegistration.Type);

    public static RouteGroupBuilder MapEventLogApi(this RouteGroupBuilder cimi)
    {
        var logs = $"/{EventLogIds.Segment}";
        cimi.MapGet(logs, async (CimiRequest request, IEventLogReader reader, IResourceReader readModel, TimeProvider clock, CancellationToken ct) =>
        {
            var query = CollectionQuery.Parse(request.Http).CheckedAgainst(CimiDescriptors.For<EventLog>());
            var explicitLogs = await readModel.QueryAsync(request.TenantId, LogType.Kind, ResourceQuery.Page(1, CollectionQuery.MaxPage), ct);
            var items = new List<JsonObject> { Render(request, await LogAsync(request, reader, clock, null, null, ct)) };
            foreach (var stored in explicitLogs.Documents)
            {
                var log = JsonSerializer.Deserialize<EventLog>(stored, CimiJson.Options)!;
                items.Add(Render(request, await LogAsync(request, reader, clock, log.TargetResource!.Href, log, ct)));
            }
            var (count, page) = InMemoryQuery.Run(items, query);
            return new CimiResult(StatusCodes.Status200OK, CimiDocuments.Collection(LogType, request.BaseUri, count, page, canAdd: true),
                "Collection", isCollection: true);
        });
        cimi.MapPost(logs, async (CimiRequest request, IEventLogReader reader, TimeProvider clock, CancellationToken ct) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<EventLogCreate>(request, "EventLogCreate");
            var created = await TemplateEventLogs.CreateAsync(request.GrainsAsCaller(), request.TenantId, create);
            var log = await LogAsync(request, reader, clock, created.TargetResource!.Href, created, ct);
            return request.Created(log, LogType);
        });
        cimi.MapGet($"{logs}/{{id}}", async (string id, CimiRequest request, IEventLogReader reader, TimeProvider clock, CancellationToken ct) =>
        {
            var (resourceId, explicitLog) = await ResolveAsync(request, reader, id, ct);
            return request.Document(StatusCodes.Status200OK, await LogAsync(request, reader, clock, resourceId, explicitLog, ct), LogType);
        });
        cimi.MapGet($"{logs}/{{id}}/events", async (string id, CimiRequest request, IEventLogReader reader, TimeProvider clock, CancellationToken ct) =>
        {
            var (resourceId, explicitLog) = await ResolveAsync(request, reader, id, ct);
            return await EventsAsync(request, reader, resourceId, Since(reader, clock, explicitLog), EventLogIds.EventsOf($"{EventLogIds.Segment}/{id}"), ct);
        });
        // The body is read first, as for every type, then the log: one the caller does not have is a 404 (so a
        // write learns nothing of other tenants' logs), an implicit one a 405.
        cimi.MapPut($"{logs}/{{id}}", async (string id, CimiRequest request, IEventLogReader reader, TimeProvider clock, CancellationToken ct) =>
        {
            (string? ResourceId, EventLog? Explicit)? found = null;
            async Task<(string? ResourceId, EventLog? Explicit)> Found() => found ??= await ResolveAsync(request, reader, id, ct);
            // With $select the rest is kept from the explicit log (an implicit one is refused below whatever is selected).
            var document = await ResourceCollectionApi.ReadUpdateAsync<EventLog>(request, LogType, async () =>
                (await Found()).Explicit ?? new EventLog());
            var (resourceId, explicitLog) = await Found();
            if (explicitLog is null) return CimiErrors.Write405(NotEditable);
            var updated = await LogGrain(request, resourceId!).Update(document);
            return request.Document(StatusCodes.Status200OK, await LogAsync(request, reader, clock, resourceId, updated, ct), LogType);
        });
        cimi.MapDelete($"{logs}/{{id}}", async (string id, CimiRequest request, IEventLogReader reader, CancellationToken ct) =>
        {
            var (resourceId, explicitLog) = await ResolveAsync(request, reader, id, ct);
            if (explicitLog is null)
                return CimiErrors.Write405("This EventLog is kept by the provider and cannot be deleted: its events expire by the deployment's retention. " +
                    "Only an explicit log (made by POSTing an EventLogCreate) can be deleted, and that removes only what was given to it.");
            await LogGrain(request, resourceId!).Delete();
            return Results.Ok();
        });

        var events = $"/{EventLogIds.EventSegment}";
        cimi.MapGet(events, (CimiRequest request, IEventLogReader reader, CancellationToken ct) =>
            EventsAsync(request, reader, null, null, EventLogIds.EventSegment, ct));
        cimi.MapGet($"{events}/{{id}}", async (string id, CimiRequest request, IEventLogReader reader, CancellationToken ct) =>
            new CimiResult(StatusCodes.Status200OK, CimiDocuments.FromStored(await EventAsync(request, reader, id, ct), EventType, request.BaseUri),
                EventType.TypeName));
        cimi.MapPost(events, () => CimiErrors.Write405("Events are created by the provider as things happen, never by a consumer."));
        cimi.MapMethods($"{events}/{{id}}", [HttpMethods.Put, HttpMethods.Delete], async (string id, CimiRequest request, IEventLogReader reader, CancellationToken ct) =>
        {
            await EventAsync(request, reader, id, ct);
            return CimiErrors.Write405("Events are immutable: an Event cannot be edited or deleted; it expires by the deployment's retention.");
        });
        return cimi;
    }

    /// <summary>The caller's Event <paramref name="id"/> (its stored document), or 404.</summary>
    private static async Task<byte[]> EventAsync(CimiRequest request, IEventLogReader reader, string id, CancellationToken ct) =>
        (long.TryParse(id, System.Globalization.NumberStyles.None, null, out var n) && n > 0 ? await reader.GetAsync(request.TenantId, n, ct) : null)
            ?? throw CimiException.NotFound($"Event '{EventLogIds.EventSegment}/{id}'");

    /// <summary>
    /// The resource a log id names (null: the tenant's log) and, when it was made explicit, what was given to
    /// it; a 404 when the tenant has no such log.
    /// </summary>
    public static async Task<(string? ResourceId, EventLog? Explicit)> ResolveAsync(CimiRequest request, IEventLogReader reader, string localId,
        CancellationToken ct)
    {
        if (EventLogIds.TryParse(localId, out var resourceId)
            && (resourceId is null || await reader.LogExistsAsync(request.TenantId, resourceId, ct)))
            return (resourceId, resourceId is null ? null : await LogGrain(request, resourceId).GetInternal());
        throw CimiException.NotFound($"EventLog '{EventLogIds.Segment}/{localId}'");
    }

    /// <summary>The events a log shows are those stamped since this (null: all those retained): an explicit log's persistence, when shorter than the retention.</summary>
    public static DateTimeOffset? Since(IEventLogReader reader, TimeProvider clock, EventLog? explicitLog) =>
        explicitLog?.Persistence is { } persistence && EventLogPersistence.Effective(persistence, reader.Retention) is { } shown
            ? clock.GetUtcNow() - shown
            : null;

    /// <summary>The grain of an explicit log (its key is the log's local id, <c>{segment}.{localId}</c>, checked by <see cref="ResolveAsync"/>).</summary>
    private static IEventLogGrain LogGrain(CimiRequest request, string resourceId) =>
        request.GrainsAsCaller().GetGrain<IEventLogGrain>(GrainKeys.Of(request.TenantId, LogType.Kind.LocalIdOf(EventLogIds.ForResource(resourceId))!));

    private const string NotEditable =
        "This EventLog is kept by the provider and cannot be edited. Make a resource's log explicit by POSTing an EventLogCreate " +
        "to eventLogs; an explicit log's name, description, properties and persistence can be edited.";

    private static JsonObject Render(CimiRequest request, EventLog log) => CimiDocuments.FromResource(log, LogType, request.BaseUri);

    private static async Task<EventLog> LogAsync(CimiRequest request, IEventLogReader reader, TimeProvider clock, string? resourceId,
        EventLog? explicitLog, CancellationToken ct)
    {
        var id = resourceId is null ? EventLogIds.TenantLog : EventLogIds.ForResource(resourceId);
        return new EventLog
        {
            Id = id,
            Name = explicitLog is null ? resourceId is null ? $"Events of tenant {request.TenantId}" : $"Events of {resourceId}" : explicitLog.Name,
            Description = explicitLog?.Description,
            Created = explicitLog?.Created,
            Updated = explicitLog?.Updated,
            Properties = explicitLog?.Properties,
            TargetResource = resourceId is null ? null : new ResourceRef(resourceId),
            Events = new ResourceRef(EventLogIds.EventsOf(id)),
            Persistence = EventLogPersistence.Text(EventLogPersistence.Effective(explicitLog?.Persistence, reader.Retention)),
            Summary = await reader.SummaryAsync(request.TenantId, resourceId, Since(reader, clock, explicitLog), ct),
            Operations = explicitLog is null ? null : [new Operation("edit", id), new Operation("delete", id)],
        };
    }

    private static async Task<CimiResult> EventsAsync(CimiRequest request, IEventLogReader reader, string? resourceId, DateTimeOffset? since,
        string collectionId, CancellationToken ct)
    {
        var query = CollectionQuery.Parse(request.Http).CheckedAgainst(CimiDescriptors.For<Event>());
        var page = await reader.QueryAsync(request.TenantId, resourceId, since, query.ToResourceQuery(), ct);
        var items = page.Documents.Select(d => CimiDocuments.FromStored(d, EventType, request.BaseUri));
        var document = CimiDocuments.Collection(EventType.CollectionTypeUri, request.BaseUri.Absolute(collectionId), EventType.CollectionArray,
            page.Count, items, canAdd: false);
        return new CimiResult(StatusCodes.Status200OK, document, "Collection", isCollection: true);
    }
}
