using System.Collections.Concurrent;
using CimiGrains.Grains.Common;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>An in-memory <see cref="IDomainEventSink"/> for the test silos: every event any resource raised, in arrival order.</summary>
public sealed class RecordedDomainEvents : IDomainEventSink
{
    private static readonly ConcurrentQueue<DomainEvent> Events = new();

    public Task PublishAsync(DomainEvent domainEvent)
    {
        Events.Enqueue(domainEvent);
        return Task.CompletedTask;
    }

    /// <summary>The events of one resource, in the order they were published.</summary>
    public static IReadOnlyList<DomainEvent> Of(string tenantId, string resourceId) =>
        Events.Where(e => e.TenantId == tenantId && e.ResourceId == resourceId).ToList();
}
