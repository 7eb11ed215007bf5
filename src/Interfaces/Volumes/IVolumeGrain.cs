using CimiGrains.Hosts;
using CimiGrains.Jobs;

namespace CimiGrains.Volumes;

/// <summary>
/// A Volume, keyed <c>{tenantId}/{localId}</c>, realized as a file in one host's storage pool. Create,
/// delete and capture answer at once with a Job. Machines attach it through their own operation (their
/// <c>volumes</c> collection) and tell the Volume through <see cref="Reserve"/>, <see cref="Confirm"/> and
/// <see cref="Release"/>, so the Volume always knows where it is attached (and refuses a delete then).
/// </summary>
public interface IVolumeGrain : ICimiResourceGrain<Volume>, IHostedResourceGrain
{
    /// <summary>Resolves the template, stores the Volume as CREATING and starts creating it on a host with
    /// room in its pool. Fails (and stores nothing) when the template is invalid or a reference dangles.
    /// <paramref name="system"/>: a System makes it, and its Job nests in the System's; <paramref name="parentJobLocalId"/>:
    /// its Job nests in that Job (a Machine's create making it from a <c>volumeTemplates</c> entry). The same create
    /// again (same <paramref name="jobLocalId"/>) while it is in progress answers as the first did, beginning its Job
    /// if a crash came before: a caller repeating its own step after a crash gets the Volume's Job nested in its own.</summary>
    Task<VolumeOperationResult> Create(VolumeCreate create, string jobLocalId, Systems.SystemMembership? system = null,
        string? parentJobLocalId = null);

    /// <summary>Starts deleting the Volume. Conflict naming the Machines while it is attached to any.</summary>
    Task<VolumeOperationResult> Delete(string jobLocalId, string? parentJobLocalId = null);

    /// <summary>
    /// The Machine <paramref name="machineKey"/> (same tenant) is about to attach the Volume as
    /// <paramref name="use"/> says. Records the attachment as reserved (it shows in
    /// <see cref="Volume.AttachedTo"/> and blocks a delete) and returns what the Machine's host needs.
    /// Conflict, naming why, when the Volume is not AVAILABLE, is attached elsewhere and the sharing rules
    /// forbid another (docs/VOLUMES.md), or cannot reach <see cref="VolumeUse.HostId"/> (a container
    /// attaches only Volumes on its own host). Repeating it for the same Machine returns the same answer.
    /// </summary>
    Task<VolumeAttachment> Reserve(string machineKey, VolumeUse use);

    /// <summary>The Machine's host made the attachment. Idempotent.</summary>
    Task Confirm(string machineKey);

    /// <summary>The Machine detached the Volume, gave the attachment up, or is gone. Idempotent.</summary>
    Task Release(string machineKey);

    /// <summary>Captures the Volume into a new VolumeImage <paramref name="imageLocalId"/> (CREATING until the
    /// host has stored the bytes, then AVAILABLE). Conflict unless the Volume is AVAILABLE, idle and not
    /// attached read-write (a capture must be consistent).</summary>
    Task<VolumeCaptureResult> Capture(VolumeImage image, string imageLocalId, string jobLocalId);

    /// <summary>The Volume's <c>images</c> collection: the VolumeImage it was made from and those captured from it,
    /// oldest first, leaving out the ones deleted since. NotFound when the Volume does not exist.</summary>
    Task<IReadOnlyList<VolumeVolumeImage>> GetImages();
}

/// <summary>How a Machine asks to use a Volume: its driver (<c>docker</c>, <c>qemu</c>), its host (null while
/// it is not placed yet: then a Volume that pins it says so in the answer's <see cref="VolumeAttachment.HostId"/>),
/// where the Volume should appear, and whether read-only.</summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeUse")]
public sealed record VolumeUse(
    [property: Id(0)] string Driver,
    [property: Id(1)] string? HostId,
    [property: Id(2)] string? InitialLocation,
    [property: Id(3)] bool ReadOnly);

/// <summary>The Volume as it is after an operation was accepted, and the Job that tracks it.</summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeOperationResult")]
public sealed record VolumeOperationResult([property: Id(0)] Volume Volume, [property: Id(1)] Job Job);
