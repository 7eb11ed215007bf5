using System.Security.Cryptography;
using System.Text;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// Names and labels of CimiGrains containers. The name is derived from the Machine key alone, so the
/// engine itself refuses a second container for one Machine however many commands (or agents) race.
/// </summary>
public static class ContainerNaming
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

    /// <summary>The image reference in an imageLocation: <c>docker:repo:tag</c> or a bare reference.</summary>
    public static string ImageReference(string imageLocation)
    {
        var location = imageLocation.Trim();
        if (location.StartsWith("docker:", StringComparison.OrdinalIgnoreCase)) return location["docker:".Length..];
        var colon = location.IndexOf(':');
        var slash = location.IndexOf('/');
        // "qemu:…" or "http://…" is some other driver's image; "repo:tag" and "host:port/repo" are Docker's.
        if (colon > 0 && (slash < 0 || colon < slash) && !location[(colon + 1)..].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
            && !char.IsAsciiDigit(location[colon + 1]))
            throw new Drivers.DriverException($"'{imageLocation}' is not a Docker image location (use docker:REPOSITORY[:TAG]).");
        return location;
    }

    /// <summary>Splits <c>repo[:tag]</c> at the tag's colon (not a registry port's).</summary>
    public static (string Repository, string Tag) SplitReference(string reference)
    {
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? (reference[..colon], reference[(colon + 1)..]) : (reference, "latest");
    }
}
