using System.Threading.Channels;

namespace CimiGrains.Events;

/// <summary>
/// The live stream of events in this process: one tail of the journal per process, fanned out in memory.
/// Events are delivered in id order and only as a contiguous prefix of the journal (the high-water mark),
/// so an id a running transaction still holds is never overtaken.
/// </summary>
public interface IEventStream
{
    /// <summary>Every event with an id at or below this is final: committed, or never to be (rolled back, removed).</summary>
    long HighWaterMark { get; }

    /// <summary>
    /// The tenant's events (of <paramref name="resourceId"/> only, when given) with ids above
    /// <paramref name="after"/>: first those already in the journal, then live ones, each once. The
    /// channel completes when the subscription is disposed, or with an error when the subscriber fell too
    /// far behind (it may resume from the last id it received).
    /// </summary>
    IEventSubscription Subscribe(string tenantId, string? resourceId, long after);
}

/// <summary>One subscriber's events.</summary>
public interface IEventSubscription : IDisposable
{
    ChannelReader<StreamedEvent> Events { get; }
}

/// <summary>An event on the stream: its id and its Event document (UTF-8 JSON, relative hrefs).</summary>
public sealed record StreamedEvent(long Id, string TenantId, string? ResourceId, byte[] Document);
