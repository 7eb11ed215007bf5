using CimiGrains.Hosts;
using CimiGrains.Volumes;
using static CimiGrains.Volumes.VolumeStateName;

namespace CimiGrains.Grains.Volumes;

/// <summary>
/// The Volume lifecycle as one table (after DSP0263's Volume states): which operation is allowed in which
/// state and the transitional state it enters. A create enters CREATING and settles AVAILABLE (ERROR when
/// it fails); a capture returns to AVAILABLE either way; a delete ends the Volume, or returns it to where
/// it was when it fails.
/// </summary>
public static class VolumeTransitions
{
    private static readonly Dictionary<(VolumeStateName From, HostCommandKind Operation), VolumeStateName> Enter = new()
    {
        [(AVAILABLE, HostCommandKind.Capture)] = CAPTURING,
        [(AVAILABLE, HostCommandKind.Delete)] = DELETING,
        [(ERROR, HostCommandKind.Delete)] = DELETING,
        // A delete takes over a create or a capture still in flight (its Job ends first).
        [(CREATING, HostCommandKind.Delete)] = DELETING,
        [(CAPTURING, HostCommandKind.Delete)] = DELETING,
    };

    public static bool IsTransitional(VolumeStateName state) => state is CREATING or CAPTURING or DELETING;

    /// <summary>The transitional state <paramref name="operation"/> enters from <paramref name="from"/>, or null if not allowed.</summary>
    public static VolumeStateName? TryEnter(VolumeStateName from, HostCommandKind operation) =>
        Enter.TryGetValue((from, operation), out var next) ? next : null;

    /// <summary>Where a successful operation settles (a delete has no settled state: the Volume is gone).</summary>
    public static VolumeStateName Settled(HostCommandKind operation) => AVAILABLE;

    /// <summary>Where a failed operation falls back to: a create to ERROR, anything else to where it was.</summary>
    public static VolumeStateName Failed(HostCommandKind operation, VolumeStateName before) =>
        operation == HostCommandKind.Create ? ERROR : before is CREATING or CAPTURING or DELETING ? ERROR : before;

    /// <summary>The state for what a host sees of the Volume's file: there, or not (or broken).</summary>
    public static VolumeStateName FromObserved(ObservedState observed) =>
        observed is ObservedState.Absent or ObservedState.Failed ? ERROR : AVAILABLE;
}
