using CimiGrains.Grains.ReadModel;

namespace CimiGrains.Grains.Common;

/// <summary>
/// A plain stored CIMI resource: its grain persists the resource and nothing else
/// (<see cref="ResourceState{TResource}"/>). Everything else is <see cref="CimiResourceGrain{TResource, TState}"/>'s.
/// </summary>
public abstract class CimiResourceGrain<TResource>(
    IPersistentState<ResourceState<TResource>> state,
    ResourceReadModel readModel,
    ResourceKind kind) : CimiResourceGrain<TResource, ResourceState<TResource>>(state, readModel, kind)
    where TResource : CimiResource;
