namespace CimiGrains.Machines;

/// <summary>The custom operations of a Machine (DSP0263 action URIs <c>…/action/{name}</c>).</summary>
[GenerateSerializer]
public enum MachineAction
{
    Start,
    Stop,
    Restart,
    Pause,
    Suspend,
    Capture,
}
