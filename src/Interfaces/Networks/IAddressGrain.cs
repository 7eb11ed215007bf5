namespace CimiGrains.Networks;

/// <summary>An Address, keyed <c>{tenantId}/{localId}</c>. Its Network creates and removes the ones its leases make
/// (<see cref="Record"/>, <see cref="Forget"/>); a consumer reserves one with <see cref="Create(AddressCreate)"/>.</summary>
public interface IAddressGrain : ICimiResourceGrain<Address>
{
    /// <summary>Reserves an address on the template's Network (the one asked for, or a free one) and stores the Address.</summary>
    Task<Address> Create(AddressCreate create);

    /// <summary>The Network stores (or replaces) the Address of one of its leases. Only Networks call it.</summary>
    Task Record(Address address);

    /// <summary>The Network's lease is gone: so is its Address. Only Networks call it; a missing Address succeeds.</summary>
    Task Forget();
}
