using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Networks;

/// <summary>
/// Checks what the cluster sends before any of it reaches a command line or an nft script: MACs, addresses,
/// subnets and names in the forms the kernel's tools take, so a bad value is refused naming it rather than
/// half applied (or, in an nft script, read as syntax).
/// </summary>
public static partial class PlaneInput
{
    [GeneratedRegex("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")]
    private static partial Regex MacPattern();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$")]
    private static partial Regex DevicePattern();

    /// <summary>The MAC in lower case; a multicast or all-zero MAC is refused (no port may send from one).</summary>
    public static string Mac(string value, string what)
    {
        var mac = value.Trim().ToLowerInvariant();
        if (!MacPattern().IsMatch(mac) || (Convert.ToByte(mac[..2], 16) & 1) == 1 || mac == "00:00:00:00:00:00")
            throw new DriverException($"{what}: '{value}' is not a unicast MAC address (aa:bb:cc:dd:ee:ff).");
        return mac;
    }

    /// <summary>An interface address in CIDR form (<c>10.0.0.5/24</c>), normalised.</summary>
    public static string InterfaceAddress(string value, string what)
    {
        var parts = value.Trim().Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var address) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix < 1 || prefix > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
            throw new DriverException($"{what}: '{value}' is not an address in CIDR form (10.0.0.5/24).");
        return $"{address}/{prefix}";
    }

    /// <summary>A plain address (a gateway, an underlay endpoint).</summary>
    public static string Address(string value, string what) =>
        IPAddress.TryParse(value.Trim(), out var address) && !value.Contains('/')
            ? address.ToString()
            : throw new DriverException($"{what}: '{value}' is not an IP address.");

    /// <summary>A subnet in CIDR form, normalised to its network address (<c>10.0.0.0/24</c>).</summary>
    public static string Subnet(string value, string what) =>
        IPNetwork.TryParse(value.Trim(), out var network)
            ? network.ToString()
            : throw new DriverException($"{what}: '{value}' is not a subnet in CIDR form (10.0.0.0/24).");

    /// <summary>A network device's name as the kernel takes it.</summary>
    public static string Device(string value, string what) =>
        DevicePattern().IsMatch(value) && value is not ("." or "..")
            ? value
            : throw new DriverException($"{what}: '{value}' is not a network device name (1–15 of A-Za-z0-9_.-).");

    public static int Mtu(int value, string what) =>
        value is >= 576 and <= 9000 ? value : throw new DriverException($"{what}: MTU {value} is outside 576–9000.");

    public static uint Vni(uint value, string what) =>
        value is >= 1 and <= 0xFFFFFF ? value : throw new DriverException($"{what}: VNI {value} is outside 1–16777215.");

    /// <summary>The address part of a CIDR interface address.</summary>
    public static IPAddress HostPart(string cidr) => IPAddress.Parse(cidr.Split('/')[0]);

    public static bool IsPublic(string networkType) => networkType.Equals("PUBLIC", StringComparison.OrdinalIgnoreCase);
}
