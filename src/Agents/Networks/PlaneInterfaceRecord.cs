using System.Text.Json.Serialization;

namespace CimiGrains.Agents.Networks;

/// <summary>
/// What the plane knows of one interface it plugged: enough to write its rules and find its devices again
/// after a crash. Written (atomically) before its device is made, with <see cref="Complete"/> false, so no
/// device of the plane ever exists without a record, and rewritten complete once the device is plugged: an
/// incomplete record means "make it again", a device without a record is a leftover to remove.
/// <see cref="NetworkPortKey"/> names the NetworkPort whose samples the device's counters are (null in records
/// written before it was kept: such a port has no samples until it is plugged again).
/// </summary>
public sealed record PlaneInterfaceRecord(
    [property: JsonPropertyName("interfaceId")] string InterfaceId,
    [property: JsonPropertyName("networkId")] string NetworkId,
    [property: JsonPropertyName("vni")] uint Vni,
    [property: JsonPropertyName("mtu")] int Mtu,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("port")] string Port,
    [property: JsonPropertyName("mac")] string Mac,
    [property: JsonPropertyName("addresses")] IReadOnlyList<string> Addresses,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("netns")] string? WorkloadNamespace,
    [property: JsonPropertyName("uid")] int? Uid,
    [property: JsonPropertyName("complete")] bool Complete,
    [property: JsonPropertyName("networkPort")] string? NetworkPortKey = null)
{
    public const string Veth = "veth";
    public const string Tap = "tap";
}
