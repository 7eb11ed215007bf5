using CimiGrains.Grains.Common;
using CimiGrains.Jobs;

namespace CimiGrains.Grains.Jobs;

/// <summary>What a Job grain persists: the Job, and how it follows its nested Jobs. The first two
/// members keep the shape of <see cref="ResourceState{TResource}"/>, so Jobs stored before nesting read back.</summary>
[GenerateSerializer, Alias("cimi.state.Job")]
public sealed class JobGrainState : IResourceState<Job>
{
    [Id(0)] public Job? Resource { get; set; }

    [Id(1)] public long EventSequence { get; set; }

    [Id(2)] public NestedJobFailure NestedFailure { get; set; }

    /// <summary>The last state and progress read from each nested Job, by id: a nested Job purged by
    /// JobRetention (or not yet stored) still counts as it was last seen.</summary>
    [Id(3)] public IReadOnlyDictionary<string, NestedJobSeen>? NestedSeen { get; set; }

    /// <summary>The event of the last commit, kept so that the projection on activation records it if its row was lost (EventLogs).</summary>
    [Id(4)] public DomainEvent? LastEvent { get; set; }

    public IResourceState<Job> Copy() => new JobGrainState
    {
        Resource = Resource, EventSequence = EventSequence, NestedFailure = NestedFailure, NestedSeen = NestedSeen, LastEvent = LastEvent,
    };
}

/// <summary>A nested Job as its parent last read it.</summary>
[GenerateSerializer, Immutable, Alias("cimi.state.NestedJobSeen")]
public sealed record NestedJobSeen(
    [property: Id(0)] JobStateName State,
    [property: Id(1)] int Progress,
    [property: Id(2)] string? StatusMessage);
