using CimiGrains.Grains.Common;
using CimiGrains.Networks;

namespace CimiGrains.Grains.Networks;

/// <summary>What a ForwardingGroup grain persists: the group, its member Networks with their subnets, and the version
/// of what it last told them (so a Network drops an older word that arrives late).</summary>
[GenerateSerializer, Alias("cimi.state.ForwardingGroup")]
public sealed class ForwardingGroupState : IResourceState<ForwardingGroup>
{
    [Id(0)] public ForwardingGroup? Resource { get; set; }

    [Id(1)] public long EventSequence { get; set; }

    /// <summary>Network key → its subnet. Replaced, never changed in place.</summary>
    [Id(2)] public IReadOnlyDictionary<string, string> Members { get; set; } = new Dictionary<string, string>();

    [Id(3)] public long Version { get; set; }

    /// <summary>The event of the last commit, kept so that the projection on activation records it if its row was lost (EventLogs).</summary>
    [Id(4)] public DomainEvent? LastEvent { get; set; }

    public IResourceState<ForwardingGroup> Copy() => new ForwardingGroupState
    {
        Resource = Resource, EventSequence = EventSequence, Members = Members, Version = Version, LastEvent = LastEvent,
    };
}
