namespace CimiGrains.Grains.Common;

/// <summary>Where an operation's commands go, or why they cannot go yet (wait) or at all (fail).</summary>
public sealed record HostPlan(IReadOnlyList<string>? Hosts, string? Reason = null, TimeSpan? RetryAfter = null)
{
    public static HostPlan On(IReadOnlyList<string> hosts) => new(hosts);
    public static HostPlan Wait(string? reason, TimeSpan retryAfter) => new(null, reason, retryAfter);
    public static HostPlan Fail(string reason) => new(null, reason);
}
