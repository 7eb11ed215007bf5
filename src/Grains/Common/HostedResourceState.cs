using CimiGrains.Hosts;

namespace CimiGrains.Grains.Common;

/// <summary>
/// What every hosted resource grain persists besides its own facts: the resource, where it is
/// realized, the fence, the one operation in flight, and what the cluster knows of its hosts.
/// </summary>
[GenerateSerializer, Alias("cimi.state.HostedResource`2")]
public abstract class HostedResourceState<TResource, TLifecycle> : IResourceState<TResource>
    where TResource : CimiResource
    where TLifecycle : struct, Enum
{
    [Id(0)] public TResource? Resource { get; set; }

    [Id(1)] public long EventSequence { get; set; }

    /// <summary>The hosts the resource is realized on (one for a Machine; a Network spans several).</summary>
    [Id(2)] public IReadOnlyList<string> HostIds { get; set; } = [];

    /// <summary>Raised with every operation; hosts ignore commands older than the newest they have seen.</summary>
    [Id(3)] public long Generation { get; set; }

    [Id(4)] public PendingOperation<TLifecycle>? Pending { get; set; }

    /// <summary>Why the resource's state is not known from its hosts right now (agent away, workload
    /// gone); null while the hosts vouch for it. Rendered as property <c>cimigrains.hostStatus</c>.</summary>
    [Id(5)] public string? HostStatus { get; set; }

    /// <summary>The agent session that last reconciled this resource, per host: a "session lost" notice
    /// for an older session arrives late and is ignored.</summary>
    [Id(6)] public IReadOnlyDictionary<string, string>? HostSessions { get; set; }

    /// <summary>Set when a host went away with a command unconfirmed: until then the operation waits
    /// for the host's return and its inventory; after it, the operation fails.</summary>
    [Id(7)] public DateTimeOffset? HostAwayUntil { get; set; }

    /// <summary>The event of the last commit, kept so that the projection on activation records it if its row was lost (EventLogs).</summary>
    [Id(8)] public DomainEvent? LastEvent { get; set; }

    public IResourceState<TResource> Copy() => (IResourceState<TResource>)MemberwiseClone();
}
