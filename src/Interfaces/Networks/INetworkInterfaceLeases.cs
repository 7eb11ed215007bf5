namespace CimiGrains.Networks;

/// <summary>
/// What a Network grants the Machines that join it (implemented by the Network's grain, keyed
/// <c>{tenantId}/{localId}</c> like it). A Machine's interface takes a lease: the Network allocates its MAC and
/// addresses durably (never one address twice, also across failover and <c>kill -9</c>: the allocation is
/// written before it is answered), then the Machine says which host plugs it, and the Network tells every host
/// with a port on it where the others are (<see cref="Hosts.IHostGrain.ApplyNetwork"/>). Every call is
/// idempotent per (<c>machineKey</c>, <c>interfaceId</c>): a repeat after a crash gets the same answer.
/// The caller has checked that the Network is the Machine's tenant's (another tenant's is a 404 before this).
/// </summary>
public interface INetworkInterfaceLeases : IGrainWithStringKey
{
    /// <summary>Allocates (or returns the existing) lease. NotFound when the Network does not exist; BadRequest
    /// naming the address when a static address is outside the subnet or malformed; Conflict naming why when it
    /// is taken, when no address is free, or when the Network is being deleted or failed.</summary>
    Task<NetworkInterfaceLease> Lease(string machineKey, string interfaceId, NetworkInterfaceRequest request);

    /// <summary>The interface is (to be) plugged on <paramref name="hostId"/>: the Network's hosts learn of it.</summary>
    Task Bind(string machineKey, string interfaceId, string hostId);

    /// <summary>The interface is gone (detached, or its Machine deleted): its addresses are free again and its
    /// host forgets it. Unknown leases succeed.</summary>
    Task Release(string machineKey, string interfaceId);
}

/// <summary>What a Machine interface asks of the Network: a static address (null: the Network picks one),
/// and the NetworkPort it uses (null: a port is made for it).</summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkInterfaceRequest")]
public sealed record NetworkInterfaceRequest(
    [property: Id(0)] string? StaticAddress,
    [property: Id(1)] string? NetworkPortKey);

/// <summary>
/// A granted lease: the interface's MAC, its addresses (CIDR) with their Address resources' keys, the Network's
/// gateway (null: none, a PRIVATE Network outside any ForwardingGroup), dns servers, mtu, type and VNI, and
/// the NetworkPort that carries it.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.NetworkInterfaceLease")]
public sealed record NetworkInterfaceLease(
    [property: Id(0)] string NetworkKey,
    [property: Id(1)] string Mac,
    [property: Id(2)] IReadOnlyList<string> Addresses,
    [property: Id(3)] IReadOnlyList<string> AddressKeys,
    [property: Id(4)] string? Gateway,
    [property: Id(5)] IReadOnlyList<string> Dns,
    [property: Id(6)] int Mtu,
    [property: Id(7)] string NetworkType,
    [property: Id(8)] uint Vni,
    [property: Id(9)] string NetworkPortKey);
