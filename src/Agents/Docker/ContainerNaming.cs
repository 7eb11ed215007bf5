using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CimiGrains.Hosts;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// Names and labels of CimiGrains containers. The name is derived from the Machine key alone, so the
/// engine itself refuses a second container for one Machine however many commands (or agents) race.
/// </summary>
public static partial class ContainerNaming
{
    public const string MachineLabel = "cimigrains.machine";
    public const string TenantLabel = "cimigrains.tenant";
    public const string GenerationLabel = "cimigrains.generation";
    public const string HostLabel = "cimigrains.host";

    /// <summary><c>cimi-{readable key}-{hash}</c>: readable in <c>docker ps</c>, unique per key.</summary>
    public static string For(string machineKey)
    {
        var readable = new string(machineKey.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '.').ToArray());
        if (readable.Length > 80) readable = readable[..80];
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(machineKey)))[..10];
        return $"cimi-{readable}-{hash}";
    }

    /// <summary>
    /// The exact image reference in an imageLocation of this driver (the shared rule,
    /// <see cref="ImageLocation"/>: <c>docker:REPOSITORY:TAG</c>, <c>docker:sha256:</c> and 64 hex digits, or
    /// either without the scheme). Anything else is refused rather than handed to the engine, which would
    /// read a bare hex string as a prefix of any image's id, and a missing tag as whatever <c>latest</c> is.
    /// </summary>
    public static string ImageReference(string imageLocation)
    {
        if (!ImageLocation.TryParse(imageLocation, out var location, out var problem))
            throw new Drivers.DriverException($"{problem} Image ids are never matched by prefix.");
        if (location!.Driver != DockerDriver.DriverName)
            throw new Drivers.DriverException($"'{imageLocation}' is an image of the '{location.Driver}' driver, not of Docker's.");
        return location.Reference;
    }

    /// <summary>Whether <paramref name="reference"/> is a full image id (<c>sha256:</c> and 64 hex digits).</summary>
    public static bool IsFullImageId(string reference) => FullImageId().IsMatch(reference);

    [GeneratedRegex("^sha256:[0-9a-f]{64}$")]
    private static partial Regex FullImageId();

    /// <summary>Splits <c>repo[:tag]</c> at the tag's colon (not a registry port's).</summary>
    public static (string Repository, string Tag) SplitReference(string reference)
    {
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }
}
