namespace CimiGrains.Events;

/// <summary>
/// The EventLog type: logs computed from the event rows (one per resource, one per tenant), served by
/// Gateway/Events/EventLogApi from <see cref="IEventLogReader"/>. A resource's log made explicit by an
/// EventLogCreate (or by its template's <c>eventLogTemplate</c>) keeps what the consumer gave it in an
/// <see cref="IEventLogGrain"/>; its events are still the rows.
/// </summary>
public static class EventLogRegistration
{
    /// <summary>The live stream extension: its URL under every EventLog, described in ResourceMetadata.</summary>
    public const string StreamCapability = "LiveStream";

    /// <summary>The capability whose value is the deployment's retention (filled in per deployment).</summary>
    public const string RetentionCapability = "EventRetention";

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("EventLog", EventLogIds.Segment),
        Record = typeof(EventLog),
        // Events are rows (IEventLogReader); only an explicit log's own attributes are a grain's: see docs/EVENTS.md.
        Grain = typeof(IEventLogGrain),
        CollectionArray = "eventLogs",
        EntryPointAttribute = "eventLogs",
        // POST reads an EventLogCreate; reads, edits and deletes tell implicit logs from explicit ones.
        Routing = CimiRouting.Custom,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "targetResource", "events", "persistence", "summary", "operations"],
        // targetResource is fixed at creation (an edit keeps it); persistence may be edited on an explicit log.
        ProviderAttributes = ["targetResource", "events", "summary"],
        Documents =
        [
            new(typeof(EventLogCreate), "EventLogCreate", [.. CimiTypeRegistration.CommonElements, "eventLogTemplate"]),
        ],
        Capabilities =
        [
            new(StreamCapability, "{eventLog}/stream",
                "CimiGrains extension: GET {eventLog id}/stream with Accept: text/event-stream streams the log's events as " +
                "Server-Sent Events (SSE id: the Event's number in events/{n}); optional $filter as on the events collection; " +
                "resumable with the Last-Event-ID header (an id the log does not hold is a 400). Events appear in id order, each once."),
            new(RetentionCapability, "P30D", "Set per deployment; see Configured."),
            new("Linked", "false", "A resource's EventLog outlives the resource for as long as its events are retained (an explicit one until it is deleted)."),
            new("EventLogTemplateByValue", "true", "An EventLogCreate, and a resource template's eventLogTemplate, may carry the EventLogTemplate by value."),
        ],
        Constraints =
        [
            EventLogPersistence.Constraint,
            new("targetResource", "The resource whose events the log holds; absent for the tenant's log (eventLogs/tenant), which holds them all."),
        ],
    };
}
