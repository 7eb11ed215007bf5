namespace CimiGrains.Grains.Common;

/// <summary>The persisted state of a plain CIMI resource grain: the full resource, secrets included.</summary>
[GenerateSerializer, Alias("cimi.state.Resource`1")]
public sealed class ResourceState<TResource> : IResourceState<TResource> where TResource : CimiResource
{
    [Id(0)] public TResource? Resource { get; set; }

    [Id(1)] public long EventSequence { get; set; }

    /// <summary>The event of the last commit, kept so that the projection on activation records it if its row was lost (EventLogs).</summary>
    [Id(2)] public DomainEvent? LastEvent { get; set; }

    public IResourceState<TResource> Copy() => new ResourceState<TResource> { Resource = Resource, EventSequence = EventSequence, LastEvent = LastEvent };
}
