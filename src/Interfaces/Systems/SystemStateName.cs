namespace CimiGrains.Systems;

/// <summary>
/// System states, named as DSP0263 names them. A settled System is in a Machine state when every Machine (and
/// nested System) it holds is in that state, and MIXED when they differ or it holds none (DSP0263 2.0 Table 9).
/// </summary>
[GenerateSerializer]
public enum SystemStateName
{
    CREATING,
    STARTING,
    STARTED,
    STOPPING,
    STOPPED,
    PAUSING,
    PAUSED,
    SUSPENDING,
    SUSPENDED,
    MIXED,
    DELETING,
    ERROR,
}
