namespace CimiGrains.Networks;

/// <summary>
/// The side of a Machine grain (same grain, same key <c>{tenantId}/{localId}</c>) that a Network asks when it
/// reconciles its leases: a lease whose Machine does not hold the interface any more (a release lost with a crash,
/// or a best-effort release that failed) is the Network's to drop. The Machine is the truth about its interfaces.
/// </summary>
public interface INetworkInterfaceHolder : IGrainWithStringKey
{
    /// <summary>Whether the Machine exists and holds interface <paramref name="interfaceId"/> on Network
    /// <paramref name="networkKey"/> (in any status: one being attached or detached still holds its lease; so does one a
    /// create in progress has leased and not stored yet, so a lease about to be stored is never taken for a lost one).
    /// Interleaved: the Machine may be waiting on this very Network (a detach or a delete releasing its lease while the
    /// Network reconciles), and a question that waited for that turn would deadlock both until the call timed out.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<bool> HoldsNetworkInterface(string networkKey, string interfaceId);
}
