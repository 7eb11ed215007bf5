namespace CimiGrains.Jobs;

/// <summary>Job states as DSP0263 implementations name them.</summary>
[GenerateSerializer]
public enum JobStateName
{
    QUEUED,
    RUNNING,
    SUCCESS,
    FAILED,
    STOPPING,
    STOPPED,
}
