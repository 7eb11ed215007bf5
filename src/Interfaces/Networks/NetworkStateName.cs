namespace CimiGrains.Networks;

/// <summary>Network states, named as DSP0263 names them. A Network is not realized on any single host, so its
/// transitions are its grain's own and immediate: STARTING, STOPPING and DELETING are passed through within one
/// request and never stored (they are named for the ResourceMetadata and for clients that expect them).</summary>
[GenerateSerializer]
public enum NetworkStateName
{
    CREATING,
    STARTING,
    STARTED,
    STOPPING,
    STOPPED,
    DELETING,
    ERROR,
}
