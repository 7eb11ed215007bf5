namespace CimiGrains.Systems;

/// <summary>
/// How a System's Machines are placed on hosts (the CimiGrains extension <c>placementPolicy</c> of a
/// SystemTemplate): <c>spread</c> (the default: each Machine goes to the host with the fewest of the System's
/// Machines that fits it, then by load), <c>pack</c> (to a host that already has the most of them, while they
/// fit), <c>pin</c> (every Machine on the host of the first one placed; a Machine that does not fit there fails).
/// A Machine that attaches a container Volume goes to the Volume's host whatever the policy.
/// </summary>
public static class SystemPlacement
{
    public const string Spread = "spread", Pack = "pack", Pin = "pin";

    public static readonly IReadOnlyList<string> All = [Spread, Pack, Pin];

    public static bool IsKnown(string? policy) => policy is null || All.Contains(policy);
}
