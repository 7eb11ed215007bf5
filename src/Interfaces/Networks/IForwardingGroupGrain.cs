namespace CimiGrains.Networks;

/// <summary>
/// A ForwardingGroup, keyed <c>{tenantId}/{localId}</c>. It tells its Networks the subnets they are routed to with
/// one-way calls (<see cref="INetworkGrain.SetForwarding"/>), so it never waits on a Network that may be waiting on it.
/// </summary>
public interface IForwardingGroupGrain : ICimiResourceGrain<ForwardingGroup>
{
    /// <summary>Resolves the template and joins its Networks. Invalid when a Network is not the tenant's; Conflict naming
    /// both when two subnets overlap, or naming the group a Network is in already. Nothing is stored then.</summary>
    Task<ForwardingGroup> Create(ForwardingGroupCreate create);

    /// <summary>A new Network joins (its template names the group): Conflict naming the member whose subnet overlaps
    /// <paramref name="subnet"/>. Returns the subnets of the other members. Repeats answer the same.</summary>
    Task<IReadOnlyList<string>> Join(string networkKey, string subnet);

    /// <summary>A member Network is deleted. Unknown ones succeed.</summary>
    Task Leave(string networkKey);
}
