using CimiGrains.Networks;
using CimiGrains.Systems;

namespace CimiGrains.Grains.Meters;

/// <summary>
/// The resources whose series, summed per sampling period, are a group's series: a System's Machines (its own and
/// those of the Systems it holds), a Network's NetworkPorts. Read from the group's grain when the series is read,
/// so the sum is over the members the group has then. Used by the samples API and by the alarms of a group's Meters.
/// </summary>
public static class AggregateTargets
{
    /// <summary>How deep a System's nested Systems are followed: the SystemTemplate nesting bound, and a guard
    /// against a System that holds itself through others (each System is visited once anyway).</summary>
    private const int MaxSystemDepth = SystemComponents.MaxDepth * 2;

    /// <summary>Whether <paramref name="targetHref"/> names a group whose series is its members' sum.</summary>
    public static bool IsAggregate(string targetHref) =>
        SystemRegistration.Type.Kind.LocalIdOf(targetHref) is not null || NetworkRegistration.Type.Kind.LocalIdOf(targetHref) is not null;

    /// <summary>The ids (<c>machines/…</c>, <c>networkPorts/…</c>) of the group's members, or null when the target is
    /// no group (its own series is read).</summary>
    public static async Task<IReadOnlyList<string>?> MembersAsync(IGrainFactory grains, string tenantId, string targetHref)
    {
        if (SystemRegistration.Type.Kind.LocalIdOf(targetHref) is { } system) return await SystemMachinesAsync(grains, tenantId, system);
        if (NetworkRegistration.Type.Kind.LocalIdOf(targetHref) is { } network)
        {
            var ports = await grains.GetGrain<INetworkGrain>(GrainKeys.Of(tenantId, network)).GetPortIds();
            return [.. ports.Select(NetworkPortRegistration.Type.Kind.IdOf)];
        }
        return null;
    }

    private static async Task<IReadOnlyList<string>> SystemMachinesAsync(IGrainFactory grains, string tenantId, string systemLocalId)
    {
        var machines = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal) { systemLocalId };
        var level = new List<string> { systemLocalId };
        for (var depth = 0; depth < MaxSystemDepth && level.Count > 0; depth++)
        {
            var next = new List<string>();
            foreach (var localId in level)
            {
                var system = grains.GetGrain<ISystemGrain>(GrainKeys.Of(tenantId, localId));
                foreach (var member in await system.GetMembers(SystemMemberKind.Machine))
                    if (member is SystemMachine { Machine.Href: { } machine }) machines.Add(machine);
                foreach (var member in await system.GetMembers(SystemMemberKind.System))
                    if (member is SystemSystem { System.Href: { } nested } && SystemRegistration.Type.Kind.LocalIdOf(nested) is { } id && seen.Add(id))
                        next.Add(id);
            }
            level = next;
        }
        return [.. machines];
    }
}
