namespace CimiGrains.Events;

/// <summary>
/// The ids of the implicit EventLogs: <c>eventLogs/tenant</c> for the tenant's log of all its resources,
/// <c>eventLogs/{segment}.{localId}</c> for the log of the resource <c>{segment}/{localId}</c> (collection
/// segments hold no dot, so the first dot splits it), and Events as <c>events/{n}</c>.
/// </summary>
public static class EventLogIds
{
    public const string Segment = "eventLogs";
    public const string EventSegment = "events";
    public const string TenantLocalId = "tenant";

    public static string TenantLog => $"{Segment}/{TenantLocalId}";

    public static string ForResource(string resourceId) => $"{Segment}/{resourceId.Replace('/', '.')}";

    public static string EventsOf(string logId) => $"{logId}/events";

    public static string Event(long id) => $"{EventSegment}/{id}";

    /// <summary>The resource a log's local id names (null for the tenant's log); false when it names no log shape at all.</summary>
    public static bool TryParse(string localId, out string? resourceId)
    {
        resourceId = null;
        if (localId == TenantLocalId) return true;
        var dot = localId.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == localId.Length - 1 || localId.Contains('/', StringComparison.Ordinal)) return false;
        resourceId = $"{localId[..dot]}/{localId[(dot + 1)..]}";
        return true;
    }
}
