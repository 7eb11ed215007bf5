namespace CimiGrains.Volumes;

/// <summary>Volume states, named as DSP0263 names them. A Volume attached to Machines stays AVAILABLE
/// (CIMI has no "in use" state): where it is attached is its <see cref="Volume.AttachedTo"/>.</summary>
[GenerateSerializer]
public enum VolumeStateName
{
    CREATING,
    AVAILABLE,
    CAPTURING,
    DELETING,
    ERROR,
}
