namespace CimiGrains.Events;

/// <summary>
/// The Event type: immutable rows of the journal, <c>events/{n}</c>; the <c>events</c> collection is the
/// tenant's log's events. Only the provider creates Events; PUT and DELETE are refused (405).
/// </summary>
public static class EventRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("Event", EventLogIds.EventSegment),
        Record = typeof(Event),
        Grain = typeof(IEventLogReader),
        CollectionArray = "events",
        EntryPointAttribute = "events",
        Routing = CimiRouting.Custom,
        CreatedByProvider = true,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "timestamp", "type", "content", "outcome", "severity", "contact", "operations"],
        ProviderAttributes = ["timestamp", "type", "content", "outcome", "severity", "contact"],
        Constraints =
        [
            new("type", "The event's kind.") { Values = [.. Enum.GetNames<CimiEventType>().Select(n => $"{CimiUris.Namespace}/event/{n.ToLowerInvariant()}")] },
            new("outcome", "Success or Failure for Job outcomes, refusals and ERROR states; Status for other state changes.") { Values = Enum.GetNames<CimiEventOutcome>() },
            new("severity", "high: a resource entering ERROR, a Job ending FAILED; medium: a refused cross-tenant request; low: the rest.")
            { Values = [.. Enum.GetNames<CimiEventSeverity>().Select(n => n.ToLowerInvariant())] },
        ],
    };
}
