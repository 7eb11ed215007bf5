namespace CimiGrains.Networks;

/// <summary>
/// The side of a Machine grain (same grain, same key <c>{tenantId}/{localId}</c>) that a Network asks when it
/// reconciles its leases: a lease whose Machine does not hold the interface any more (a release lost with a crash,
/// or a best-effort release that failed) is the Network's to drop. The Machine is the truth about its interfaces.
/// </summary>
public interface INetworkInterfaceHolder : IGrainWithStringKey
{
    /// <summary>Whether the Machine exists and holds interface <paramref name="interfaceId"/> on Network
    /// <paramref name="networkKey"/> (in any status: one being attached or detached still holds its lease). Deliberately
    /// not interleaved: a Machine in the middle of its create (leased, not stored yet) answers only once that create has
    /// stored it or given up, so a lease about to be stored is never taken for a lost one.</summary>
    Task<bool> HoldsNetworkInterface(string networkKey, string interfaceId);
}
