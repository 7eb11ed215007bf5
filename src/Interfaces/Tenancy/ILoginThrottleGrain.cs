namespace CimiGrains.Tenancy;

/// <summary>
/// One shard of the cluster's login throttle, keyed by shard number (<see cref="LoginThrottleShards"/>):
/// the (user, source) and per-user counts of the users whose names hash to it, and the per-source counts
/// of the sources that hash to it. Every gateway asks it before a password check, so the limits hold for
/// the cluster, not per gateway process. The counts live in memory only: they drain within about two
/// windows anyway, and a silo's failure resets the shards it held (documented in docs/SECURITY.md).
/// </summary>
public interface ILoginThrottleGrain : IGrainWithIntegerKey
{
    /// <summary>The user side of a login (see LoginLedger.BeginUser); null when it may go on.</summary>
    Task<LoginRefusal?> BeginUser(string user, string source, bool verified);

    /// <summary>The source side of a login that needs a password check; null when it may go on.</summary>
    Task<LoginRefusal?> BeginSource(string source);

    /// <summary>The source side refused a login this shard's user side let through.</summary>
    Task RefusedBySource(string user);

    /// <summary>The password was right (user side).</summary>
    Task SucceededUser(string user, string source);

    /// <summary>The check did not happen (user side).</summary>
    Task NotCheckedUser(string user, string source);

    /// <summary>The source side of a success or of a check that did not happen.</summary>
    Task RefundSource(string source);
}

/// <summary>Which shard holds a user's or a source's counts: a hash that every process computes alike.</summary>
public static class LoginThrottleShards
{
    /// <summary>
    /// Enough to spread a login flood over the silos of a large cluster; fixed, because changing it would
    /// move every count to another shard (a rolling upgrade would forget them, nothing worse).
    /// </summary>
    public const int Count = 8;

    public static long OfUser(string user) => Of("user\n" + user);

    public static long OfSource(string source) => Of("source\n" + source);

    /// <summary>FNV-1a over the UTF-16 code units: string.GetHashCode is randomized per process.</summary>
    private static long Of(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash % Count;
    }
}
