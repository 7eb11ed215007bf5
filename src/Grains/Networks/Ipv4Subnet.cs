using System.Net;

namespace CimiGrains.Grains.Networks;

/// <summary>
/// An IPv4 subnet as a Network holds it: a network address and a prefix of /16 to /29 (smaller leaves no room for
/// a gateway and interfaces, larger would make a broadcast domain no bridge should carry). Offset 0 is the
/// network address, 1 the gateway, the last the broadcast address: none of them is ever leased.
/// </summary>
public readonly record struct Ipv4Subnet(uint Network, int Prefix)
{
    public const int MinPrefix = 16, MaxPrefix = 29;

    /// <summary>The number of addresses in the subnet, network and broadcast included.</summary>
    public uint Size => 1u << (32 - Prefix);

    public uint Mask => Prefix == 0 ? 0 : uint.MaxValue << (32 - Prefix);

    /// <summary>The offset of the gateway's address (never leased).</summary>
    public const uint GatewayOffset = 1;

    /// <summary>The lowest and highest offsets an interface may lease.</summary>
    public uint FirstLeasable => 2;

    public uint LastLeasable => Size - 2;

    public string Gateway => Format(Network + GatewayOffset);

    public string MaskText => Format(Mask);

    public string AddressAt(uint offset) => Format(Network + offset);

    /// <summary>The address at <paramref name="offset"/> with the prefix (<c>10.42.0.5/24</c>), as a lease carries it.</summary>
    public string CidrAt(uint offset) => $"{AddressAt(offset)}/{Prefix}";

    public bool Overlaps(Ipv4Subnet other)
    {
        var mask = Prefix < other.Prefix ? Mask : other.Mask;
        return (Network & mask) == (other.Network & mask);
    }

    public override string ToString() => $"{Format(Network)}/{Prefix}";

    /// <summary>The offset of <paramref name="address"/> in the subnet, or why it cannot be leased (null: it can).</summary>
    public (uint Offset, string? Problem) OffsetOf(string address)
    {
        if (!TryParseAddress(address, out var value))
            return (0, $"'{address}' is not an IPv4 address (write four decimal numbers, e.g. {AddressAt(FirstLeasable)}).");
        if ((value & Mask) != Network) return (0, $"'{address}' is outside the Network's subnet {this}.");
        var offset = value - Network;
        if (offset == 0) return (offset, $"'{address}' is the network address of {this}; it is never leased.");
        if (offset == GatewayOffset) return (offset, $"'{address}' is the gateway of {this}; it is never leased.");
        if (offset == Size - 1) return (offset, $"'{address}' is the broadcast address of {this}; it is never leased.");
        return (offset, null);
    }

    /// <summary>Parses <c>a.b.c.d/p</c>; the error names <paramref name="attribute"/> and what is wrong.</summary>
    public static Ipv4Subnet Parse(string? text, string attribute)
    {
        var slash = text?.IndexOf('/') ?? -1;
        if (text is null || slash <= 0 || !TryParseAddress(text[..slash], out var address)
            || !int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out var prefix) || prefix > 32)
            throw CimiException.Invalid($"'{attribute}' '{text}' is not an IPv4 CIDR subnet; write a network address and a prefix, e.g. 10.42.0.0/24.");
        if (prefix is < MinPrefix or > MaxPrefix)
            throw CimiException.Invalid($"'{attribute}' '{text}' has a /{prefix} prefix; a Network's subnet is /{MinPrefix} to /{MaxPrefix}.");
        var subnet = new Ipv4Subnet(address & (uint.MaxValue << (32 - prefix)), prefix);
        if (subnet.Network != address)
            throw CimiException.Invalid($"'{attribute}' '{text}' is not a network address (its host bits are set); did you mean {subnet}?");
        return subnet;
    }

    /// <summary>Strict dotted quad: four decimal numbers 0–255, nothing else (IPAddress alone takes "10.1" or hex).</summary>
    public static bool TryParseAddress(string text, out uint value)
    {
        value = 0;
        var parts = text.Split('.');
        if (parts.Length != 4) return false;
        foreach (var part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) || (part.Length > 1 && part[0] == '0')) return false;
            var octet = int.Parse(part, System.Globalization.CultureInfo.InvariantCulture);
            if (octet > 255) return false;
            value = (value << 8) | (uint)octet;
        }
        return true;
    }

    public static string Format(uint value) =>
        new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]).ToString();
}
