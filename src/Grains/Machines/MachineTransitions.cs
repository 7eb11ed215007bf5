using CimiGrains.Machines;
using static CimiGrains.Machines.MachineAction;
using static CimiGrains.Machines.MachineStateName;

namespace CimiGrains.Grains.Machines;

/// <summary>
/// The Machine lifecycle as one table (after DSP0263 §5.14.1 and Sirocco's FSM): which action is
/// allowed in which state, the transitional state it enters, and the state it settles in. Nothing
/// else in the grain decides what is allowed; <c>operations</c> is derived from the same table.
/// </summary>
public static class MachineTransitions
{
    private static readonly Dictionary<(MachineStateName From, MachineAction Action), MachineStateName> Enter = new()
    {
        [(STOPPED, Start)] = STARTING,
        [(STOPPED, Restart)] = STARTING,
        [(STOPPED, Capture)] = CAPTURING,
        [(STARTED, Stop)] = STOPPING,
        [(STARTED, Restart)] = STARTING,
        [(STARTED, Pause)] = PAUSING,
        [(STARTED, Suspend)] = SUSPENDING,
        [(STARTED, Capture)] = CAPTURING,
        // A consumer may repeat stop while stopping, typically to force it.
        [(STOPPING, Stop)] = STOPPING,
        [(PAUSED, Start)] = STARTING,
        [(PAUSED, Stop)] = STOPPING,
        [(PAUSED, Restart)] = STARTING,
        [(PAUSED, Capture)] = CAPTURING,
        [(SUSPENDED, Start)] = STARTING,
        [(SUSPENDED, Restart)] = STARTING,
        [(SUSPENDED, Capture)] = CAPTURING,
        [(ERROR, Start)] = STARTING,
        [(ERROR, Stop)] = STOPPING,
        [(ERROR, Restart)] = STARTING,
    };

    /// <summary>Where a transitional state settles when the host reports success.</summary>
    private static readonly Dictionary<MachineStateName, MachineStateName> Settle = new()
    {
        [STARTING] = STARTED,
        [STOPPING] = STOPPED,
        [PAUSING] = PAUSED,
        [SUSPENDING] = SUSPENDED,
    };

    /// <summary>States from which delete is accepted: all but DELETING itself.</summary>
    public static bool CanDelete(MachineStateName state) => state != DELETING;

    public static bool IsTransitional(MachineStateName state) =>
        state is CREATING or STARTING or STOPPING or PAUSING or SUSPENDING or CAPTURING or RESTORING or DELETING;

    /// <summary>The transitional state <paramref name="action"/> enters from <paramref name="from"/>, or null if not allowed.</summary>
    public static MachineStateName? TryEnter(MachineStateName from, MachineAction action) =>
        Enter.TryGetValue((from, action), out var next) ? next : null;

    /// <summary>The settled state after a successful action (capture returns to where it started).</summary>
    public static MachineStateName Settled(MachineStateName transitional, MachineStateName before) =>
        Settle.TryGetValue(transitional, out var settled) ? settled : before;

    public static IEnumerable<MachineAction> Allowed(MachineStateName state) =>
        Enum.GetValues<MachineAction>().Where(a => Enter.ContainsKey((state, a)));

    /// <summary>The URI name of an action (<c>…/action/start</c>).</summary>
    public static string UriName(MachineAction action) => action.ToString().ToLowerInvariant();
}
