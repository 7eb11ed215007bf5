using CimiGrains.Networks;
using static CimiGrains.Networks.NetworkStateName;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// The Network lifecycle as one table (after DSP0263's Network states). A Network's transitions are its grain's
/// own: each operation passes its transitional state and settles within the request, so only the settled states
/// are ever stored. A delete is allowed from any settled state (ERROR included) once no port is left.
/// </summary>
public static class NetworkTransitions
{
    public enum Operation { Start, Stop, Delete }

    private static readonly Dictionary<(NetworkStateName From, Operation Operation), (NetworkStateName Passing, NetworkStateName Settled)> Table = new()
    {
        [(STOPPED, Operation.Start)] = (STARTING, STARTED),
        [(STARTED, Operation.Stop)] = (STOPPING, STOPPED),
        [(STARTED, Operation.Delete)] = (DELETING, DELETING),
        [(STOPPED, Operation.Delete)] = (DELETING, DELETING),
        [(ERROR, Operation.Delete)] = (DELETING, DELETING),
    };

    /// <summary>Where <paramref name="operation"/> takes a Network in <paramref name="from"/>, or null when it is not allowed.</summary>
    public static NetworkStateName? Settles(NetworkStateName from, Operation operation) =>
        Table.TryGetValue((from, operation), out var step) ? step.Settled : null;

    public static bool Allowed(NetworkStateName from, Operation operation) => Table.ContainsKey((from, operation));

    /// <summary>Whether Machines may take leases on a Network in <paramref name="state"/> (a stopped one only forwards nothing).</summary>
    public static bool Leasable(NetworkStateName state) => state is STARTED or STOPPED;
}
