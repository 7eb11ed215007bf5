using System.Security.Cryptography;
using System.Text;

namespace CimiGrains.Agents.Networks;

/// <summary>
/// The names of everything the plane makes: a fixed prefix saying what the device is, then the first 10 hex
/// digits of the SHA-256 of the Network's or interface's id (15 characters, the kernel's limit). Names are
/// derived, never stored, so after a crash the plane finds its devices from the ids alone, and knows any
/// device under its prefixes is its own. All start with <c>cimi</c>, under the Docker driver's host guard
/// (<c>cimi+</c> in INPUT), but the fifth character is never a hex digit, so none collides with that
/// driver's own tenant bridges (<c>cimi</c> + 11 hex digits).
/// </summary>
public static class PlaneNames
{
    /// <summary>A Network's bridge.</summary>
    public const string BridgePrefix = "cimin";

    /// <summary>A Network's VXLAN device (a port of its bridge).</summary>
    public const string VxlanPrefix = "cimix";

    /// <summary>The host end of a container interface's veth pair (a port of the bridge).</summary>
    public const string VethPrefix = "cimiv";

    /// <summary>The inner end of a veth pair before it moves into the container: only a crash leaves one behind.</summary>
    public const string PeerPrefix = "cimip";

    /// <summary>A VM interface's tap (a port of the bridge).</summary>
    public const string TapPrefix = "cimit";

    public static string Bridge(string networkId) => BridgePrefix + Hash(networkId);
    public static string Vxlan(string networkId) => VxlanPrefix + Hash(networkId);
    public static string Veth(string interfaceId) => VethPrefix + Hash(interfaceId);
    public static string Peer(string interfaceId) => PeerPrefix + Hash(interfaceId);
    public static string Tap(string interfaceId) => TapPrefix + Hash(interfaceId);

    /// <summary>Whether <paramref name="device"/> is one the plane makes (any of its prefixes).</summary>
    public static bool IsOurs(string device) =>
        device.Length == 15 && device[..5] is BridgePrefix or VxlanPrefix or VethPrefix or PeerPrefix or TapPrefix;

    /// <summary>The 10 hex digits naming <paramref name="id"/> (also the file name of its record).</summary>
    public static string Hash(string id) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..10];
}
