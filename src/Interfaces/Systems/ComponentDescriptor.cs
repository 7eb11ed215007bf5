using CimiGrains.Credentials;
using CimiGrains.Machines;
using CimiGrains.Networks;
using CimiGrains.Volumes;

namespace CimiGrains.Systems;

/// <summary>
/// One component of a SystemTemplate (DSP0263 ComponentDescriptor): <see cref="Type"/> is the type URI of the
/// resources to create (…/cimi/1/Machine, Volume, Network, Credential, System, NetworkPort, Address,
/// ForwardingGroup), exactly one template of that
/// type is given (by reference, by value, or a reference with overrides), and <see cref="Quantity"/> of them
/// are made (1 when absent). <see cref="Name"/> is what other components name it by (<c>#name</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.ComponentDescriptor")]
public sealed record ComponentDescriptor
{
    [Id(0)] public string? Name { get; init; }
    [Id(1)] public string? Description { get; init; }
    [Id(2)] public IReadOnlyDictionary<string, string>? Properties { get; init; }
    [Id(3)] public string? Type { get; init; }
    [Id(4)] public MachineTemplate? MachineTemplate { get; init; }
    [Id(5)] public VolumeTemplate? VolumeTemplate { get; init; }
    [Id(6)] public NetworkTemplate? NetworkTemplate { get; init; }
    [Id(7)] public CredentialTemplate? CredentialTemplate { get; init; }
    [Id(8)] public SystemTemplate? SystemTemplate { get; init; }
    [Id(9)] public int? Quantity { get; init; }
    [Id(10)] public NetworkPortTemplate? NetworkPortTemplate { get; init; }
    [Id(11)] public AddressTemplate? AddressTemplate { get; init; }
    [Id(12)] public ForwardingGroupTemplate? ForwardingGroupTemplate { get; init; }
}
