namespace CimiGrains.Machines;

/// <summary>
/// The Machine's <c>networkInterfaces</c> sub-collection (DSP0263 MachineNetworkInterfaceCollection) and each
/// interface's <c>addresses</c> (MachineNetworkInterfaceAddressCollection), stated once for the grains and the
/// Gateway: ids, the references they hold, the states and the extension properties.
/// </summary>
public static class MachineNetworkInterfaces
{
    public const string Segment = "networkInterfaces";

    public const string AddressesSegment = "addresses";

    /// <summary>The collection segments of the Network family that an interface references.</summary>
    public const string NetworkCollectionSegment = "networks", NetworkPortCollectionSegment = "networkPorts",
        AddressCollectionSegment = "addresses";

    /// <summary>CIMI's interface states (DSP0263 1.x MachineNetworkInterface): a plugged interface is ACTIVE.</summary>
    public const string Active = "ACTIVE", Passive = "PASSIVE", Disabled = "DISABLED";

    /// <summary>The property of a POSTed MachineNetworkInterface that asks for a static address of the Network's
    /// subnet (DSP0263 gives the create no other place for it); absent: the Network picks one.</summary>
    public const string StaticAddressProperty = "cimigrains.address";

    /// <summary>The property that shows where the interface stands: <c>attaching</c>, <c>attached</c> or
    /// <c>detaching</c>. Set by the provider; a consumer's value is ignored.</summary>
    public const string StatusProperty = "cimigrains.attachment";

    /// <summary>The most interfaces one Machine may have.</summary>
    public const int MaxPerMachine = 8;

    public static string Of(string machineId) => $"{machineId}/{Segment}";

    public static string InterfaceId(string machineId, string interfaceId) => $"{Of(machineId)}/{interfaceId}";

    public static string AddressesOf(string machineId, string interfaceId) => $"{InterfaceId(machineId, interfaceId)}/{AddressesSegment}";

    /// <summary>The local id a relative href (<c>{segment}/{id}</c>) names, or null when it names none.</summary>
    public static string? LocalIdOf(string? href, string segment)
    {
        if (href is null || !href.StartsWith(segment + "/", StringComparison.Ordinal)) return null;
        var local = href[(segment.Length + 1)..];
        return local.Length is > 0 and <= 64 && local.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? local : null;
    }
}
