namespace CimiGrains.Events;

/// <summary>
/// The EventLog type: implicit logs computed from the event rows (one per resource, one per tenant), served
/// by Gateway/Events/EventLogApi from <see cref="IEventLogReader"/>; no grain holds a log.
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
        // Served from rows (IEventLogReader), not by a grain per log: see docs/EVENTS.md.
        Grain = typeof(IEventLogReader),
        CollectionArray = "eventLogs",
        EntryPointAttribute = "eventLogs",
        Routing = CimiRouting.Custom,
        CreatedByProvider = true,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "targetResource", "events", "persistence", "summary", "operations"],
        ProviderAttributes = ["targetResource", "events", "persistence", "summary"],
        Capabilities =
        [
            new(StreamCapability, "{eventLog}/stream",
                "CimiGrains extension: GET {eventLog id}/stream with Accept: text/event-stream streams the log's events as " +
                "Server-Sent Events (SSE id: the Event's number in events/{n}); optional $filter as on the events collection; " +
                "resumable with the Last-Event-ID header (an id the log does not hold is a 400). Events appear in id order, each once."),
            new(RetentionCapability, "P30D", "Set per deployment; see Configured."),
            new("Linked", "false", "A resource's EventLog outlives the resource for as long as its events are retained."),
        ],
        Constraints =
        [
            new("persistence", "How long the log's events are kept: an ISO 8601 duration (the deployment's retention), or 'forever'."),
            new("targetResource", "The resource whose events the log holds; absent for the tenant's log (eventLogs/tenant), which holds them all."),
        ],
    };
}
