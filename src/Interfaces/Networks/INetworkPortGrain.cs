namespace CimiGrains.Networks;

/// <summary>A NetworkPort, keyed <c>{tenantId}/{localId}</c>. Its Network creates and removes the ones its leases make
/// (<see cref="Record"/>, <see cref="Forget"/>); a consumer creates one on a Network with <see cref="Create(NetworkPortCreate)"/>.</summary>
public interface INetworkPortGrain : ICimiResourceGrain<NetworkPort>
{
    /// <summary>Creates the port on the template's Network, which then counts it among its ports.</summary>
    Task<NetworkPort> Create(NetworkPortCreate create);

    /// <summary>The Network stores (or replaces) the port: made for a lease, or its state or user changed. Only Networks call it.</summary>
    Task Record(NetworkPort port);

    /// <summary>The Network no longer has the port. Only Networks call it; a missing port succeeds.</summary>
    Task Forget();
}
