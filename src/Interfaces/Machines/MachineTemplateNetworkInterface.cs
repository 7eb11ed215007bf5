using System.Xml.Serialization;

namespace CimiGrains.Machines;

/// <summary>
/// A Network a MachineTemplate (or a MachineCreate's template) puts every Machine made from it on (DSP8009
/// MachineTemplate <c>networkInterface</c>, a NetworkInterface structure): the tenant's own <see cref="Network"/>,
/// optionally the <see cref="NetworkPort"/> to use, and the <see cref="Addresses"/> it asks for (at most one:
/// a static <c>ip</c> of the Network's subnet; none: the Network picks one). <see cref="State"/> and
/// <see cref="Mtu"/> may be given: a state other than ACTIVE and an mtu other than the Network's are refused.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineTemplateNetworkInterface")]
public sealed record MachineTemplateNetworkInterface
{
    [Id(0), XmlElement("address")] public IReadOnlyList<MachineTemplateAddress>? Addresses { get; init; }
    [Id(1)] public ResourceRef? Network { get; init; }
    [Id(2)] public ResourceRef? NetworkPort { get; init; }
    [Id(3)] public string? State { get; init; }
    [Id(4)] public int? Mtu { get; init; }
}

/// <summary>An address an interface asks for, by value: the static <see cref="Ip"/> (DSP8009 AddressRef, whose
/// content is the Address's own elements). A reference to an Address resource (<see cref="Href"/>) names one of
/// the Network's Addresses.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineTemplateAddress")]
public sealed record MachineTemplateAddress
{
    [Id(0)] public string? Href { get; init; }
    [Id(1)] public string? Ip { get; init; }
}
