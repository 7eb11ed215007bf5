using System.Collections.Concurrent;
using CimiGrains.Events;
using CimiGrains.Grains.Events;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>The grain cluster's event journal: it records every event appended, for tests to read.</summary>
public sealed class RecordedJournalEvents : IEventJournal
{
    private static readonly ConcurrentQueue<JournalEvent> Events = new();

    public Task AppendAsync(JournalEvent journalEvent, CancellationToken cancellationToken = default)
    {
        Events.Enqueue(journalEvent);
        return Task.CompletedTask;
    }

    /// <summary>The events about one resource, in the order they were appended.</summary>
    public static IReadOnlyList<JournalEvent> Of(string tenantId, string resourceId) =>
        Events.Where(e => e.TenantId == tenantId && e.ResourceId == resourceId).ToList();
}
