using System.Text.Json.Nodes;
using CimiGrains.Events;
using CimiGrains.ReadModel;

namespace CimiGrains.Gateway.Events;

/// <summary>
/// EventLogs and Events (docs/EVENTS.md), read from the journal's rows: <c>eventLogs</c> lists the
/// tenant's log; <c>eventLogs/{segment}.{localId}</c> is a resource's log; <c>{log}/events</c> and
/// <c>events</c> (the tenant's log's events) are queried like any collection; <c>events/{n}</c> is one
/// Event. Logs are implicit and Events immutable: writes are 405 naming why. Another tenant's log or
/// Event is 404, as is a log whose resource the tenant never had.
/// </summary>
public static class EventLogApi
{
    private static CimiType LogType => CimiTypes.Of(EventLogRegistration.Type);
    private static CimiType EventType => CimiTypes.Of(EventRegistration.Type);

    public static RouteGroupBuilder MapEventLogApi(this RouteGroupBuilder cimi)
    {
        var logs = $"/{EventLogIds.Segment}";
        cimi.MapGet(logs, async (CimiRequest request, IEventLogReader reader, CancellationToken ct) =>
        {
            var query = CollectionQuery.Parse(request.Http).CheckedAgainst(CimiDescriptors.For<EventLog>());
            var tenantLog = CimiDocuments.FromResource(await LogAsync(request, reader, null, ct), LogType, request.BaseUri);
            var (count, page) = InMemoryQuery.Run([tenantLog], query);
            return new CimiResult(StatusCodes.Status200OK, CimiDocuments.Collection(LogType, request.BaseUri, count, page, canAdd: false),
                "Collection", isCollection: true);
        });
        cimi.MapGet($"{logs}/{{id}}", async (string id, CimiRequest request, IEventLogReader reader, CancellationToken ct) =>
            request.Document(StatusCodes.Status200OK, await LogAsync(request, reader, await ResolveAsync(request, reader, id, ct), ct), LogType));
        cimi.MapGet($"{logs}/{{id}}/events", async (string id, CimiRequest request, IEventLogReader reader, CancellationToken ct) =>
        {
            var resourceId = await ResolveAsync(request, reader, id, ct);
            return await EventsAsync(request, reader, resourceId, EventLogIds.EventsOf($"{EventLogIds.Segment}/{id}"), ct);
        });
        cimi.MapPost(logs, () => CimiErrors.Write405(
            "EventLogs are created by the provider: every resource has one, and the tenant has one for all its resources (eventLogs/tenant)."));
        // A log the caller does not have is a 404 first (as for any id), so a write learns nothing of other tenants' logs.
        cimi.MapMethods($"{logs}/{{id}}", [HttpMethods.Put, HttpMethods.Delete], async (string id, CimiRequest request, IEventLogReader reader, CancellationToken ct) =>
        {
            await ResolveAsync(request, reader, id, ct);
            return CimiErrors.Write405("An EventLog is kept by the provider: it cannot be edited or deleted; its events expire by the deployment's retention.");
        });

        var events = $"/{EventLogIds.EventSegment}";
        cimi.MapGet(events, (CimiRequest request, IEventLogReader reader, CancellationToken ct) =>
            EventsAsync(request, reader, null, EventLogIds.EventSegment, ct));
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

    /// <summary>The resource a log id names (null: the tenant's log), or 404 when the tenant has no such log.</summary>
    public static async Task<string?> ResolveAsync(CimiRequest request, IEventLogReader reader, string localId, CancellationToken ct)
    {
        if (EventLogIds.TryParse(localId, out var resourceId)
            && (resourceId is null || await reader.LogExistsAsync(request.TenantId, resourceId, ct)))
            return resourceId;
        throw CimiException.NotFound($"EventLog '{EventLogIds.Segment}/{localId}'");
    }

    private static async Task<EventLog> LogAsync(CimiRequest request, IEventLogReader reader, string? resourceId, CancellationToken ct)
    {
        var id = resourceId is null ? EventLogIds.TenantLog : EventLogIds.ForResource(resourceId);
        return new EventLog
        {
            Id = id,
            Name = resourceId is null ? $"Events of tenant {request.TenantId}" : $"Events of {resourceId}",
            TargetResource = resourceId is null ? null : new ResourceRef(resourceId),
            Events = new ResourceRef(EventLogIds.EventsOf(id)),
            Persistence = reader.Retention is { } r ? System.Xml.XmlConvert.ToString(r) : "forever",
            Summary = await reader.SummaryAsync(request.TenantId, resourceId, ct),
        };
    }

    private static async Task<CimiResult> EventsAsync(CimiRequest request, IEventLogReader reader, string? resourceId, string collectionId,
        CancellationToken ct)
    {
        var query = CollectionQuery.Parse(request.Http).CheckedAgainst(CimiDescriptors.For<Event>());
        var page = await reader.QueryAsync(request.TenantId, resourceId, query.ToResourceQuery(), ct);
        var items = page.Documents.Select(d => CimiDocuments.FromStored(d, EventType, request.BaseUri));
        var document = CimiDocuments.Collection(EventType.CollectionTypeUri, request.BaseUri.Absolute(collectionId), EventType.CollectionArray,
            page.Count, items, canAdd: false);
        return new CimiResult(StatusCodes.Status200OK, document, "Collection", isCollection: true);
    }
}
