using CimiGrains.Hosts;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// Where one Volume's attachment to the Machine stands. Each step is written before the next one is
/// taken, so that an activation after a crash knows what to finish or undo: <see cref="Reserving"/> is
/// written before the Volume is asked (a crash leaves a reservation the Machine releases), and
/// <see cref="Detaching"/> before it is told the attachment is given up.
/// </summary>
[GenerateSerializer]
public enum MachineAttachmentStatus
{
    /// <summary>The Volume is being asked to reserve it; not yet an operation of the Machine.</summary>
    Reserving,

    /// <summary>Reserved; the Machine's host is attaching it (the pending AttachVolume operation).</summary>
    Attaching,

    /// <summary>The host attached it, or the Machine has no host yet and every create carries it.</summary>
    Attached,

    /// <summary>Being detached (the pending DetachVolume operation), or given up and to be released.</summary>
    Detaching,

    /// <summary>An attach or a detach whose host went away without answering: the host may hold the Volume, so it is
    /// detached there (a DetachVolume operation of its own, once the host is back) before the Volume is released.</summary>
    Undoing,
}

/// <summary>
/// A Volume as this Machine uses it: its local id (same tenant), where it appears, whether read-only,
/// how far the attachment has got, and the Volume's answer to the reservation (what the host needs;
/// null until the Volume answered). Every create command lists the attached ones, so a Machine
/// re-created after a crash or a lost host keeps them.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.state.MachineAttachment")]
public sealed record MachineAttachment(
    [property: Id(0)] string VolumeLocalId,
    [property: Id(1)] string? InitialLocation,
    [property: Id(2)] bool ReadOnly,
    [property: Id(3)] MachineAttachmentStatus Status,
    [property: Id(4)] VolumeAttachment? Attachment,
    [property: Id(5)] DateTimeOffset Created);
