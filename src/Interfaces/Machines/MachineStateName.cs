namespace CimiGrains.Machines;

/// <summary>Machine states, named as DSP0263 names them (the JSON and XML values are these names).</summary>
[GenerateSerializer]
public enum MachineStateName
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
    CAPTURING,
    RESTORING,
    DELETING,
    ERROR,
    FAILED,
}
