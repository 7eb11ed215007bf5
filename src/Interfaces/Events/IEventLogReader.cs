using CimiGrains.ReadModel;

namespace CimiGrains.Events;

/// <summary>
/// The read side of the event journal, for the Gateway: a tenant's or one resource's events, paged and
/// filtered like any collection, one Event, and an EventLog's summary. Only events at or below the
/// stream's high-water mark (<see cref="IEventStream.HighWaterMark"/>) are visible, so a reader who then
/// subscribes from the last id it saw misses nothing and sees nothing twice.
/// </summary>
public interface IEventLogReader
{
    /// <summary>Events of the tenant (of <paramref name="resourceId"/> only, when given; stamped at or after
    /// <paramref name="since"/> only, when given: a log whose persistence is shorter than the retention), in id
    /// order unless the query orders them; <see cref="ResourcePage.Documents"/> are Event documents with their ids.</summary>
    Task<ResourcePage> QueryAsync(string tenantId, string? resourceId, DateTimeOffset? since, ResourceQuery query, CancellationToken ct);

    /// <summary>The Event document, or null when the tenant has no event of that id.</summary>
    Task<byte[]?> GetAsync(string tenantId, long id, CancellationToken ct);

    /// <summary>How many of the events <see cref="QueryAsync"/> would list have each severity.</summary>
    Task<EventLogSummary> SummaryAsync(string tenantId, string? resourceId, DateTimeOffset? since, CancellationToken ct);

    /// <summary>Whether the tenant's log of <paramref name="resourceId"/> exists: the resource is in the read
    /// model, has left events (a deleted resource's log lives as long as its events), or its log was made
    /// explicit (until that is deleted).</summary>
    Task<bool> LogExistsAsync(string tenantId, string resourceId, CancellationToken ct);

    /// <summary>How long events are kept; null: forever.</summary>
    TimeSpan? Retention { get; }
}
