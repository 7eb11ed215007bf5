using System.Net;
using System.Net.Sockets;
using CimiGrains.Gateway.Hosting;
using CimiGrains.Grains.Tenants;
using CimiGrains.Tenancy;
using Microsoft.Extensions.Options;

namespace CimiGrains.Gateway.Security;

/// <summary>
/// The login throttle of the cluster, as one gateway applies it: OWASP-style leaky buckets per (user, source),
/// per source and per user (the rules are <see cref="LoginLedger"/>'s), counted cluster-wide in the
/// <see cref="ILoginThrottleGrain"/> shards so that N gateways do not give an attacker N times the limits.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>This gateway also keeps its own ledger of what it saw. It is a lower bound of the cluster's counts,
/// so whatever it refuses is refused without asking, and a refusal from the cluster is held in it for the
/// time the cluster gave: a flood against one gateway costs the cluster one call per refusal window, not
/// one per request.</item>
/// <item>A login that needs a password check asks the cluster first; the check costs a large fraction of a
/// second of CPU, so the grain call is noise beside it.</item>
/// <item>A cached verified login asks the cluster only when this source has not used those credentials on
/// this gateway yet (<c>knownSource</c> in <see cref="BeginAsync"/>): that is the one case where
/// the cached answer could hand a guesser throttled on another gateway the oracle the pair limit exists to
/// deny. Logins of working sessions cost nothing extra.</item>
/// <item>When the cluster cannot answer in <see cref="ClusterWait"/> (a shard's silo just died, say) the
/// local view decides: logins keep working, and the limits hold per gateway until the shard is back.</item>
/// </list>
/// IPv6 sources are counted per /64, since one host commonly owns a whole /64.
/// </remarks>
public sealed class LoginThrottle
{
    /// <summary>Per table of this gateway's own ledger.</summary>
    public const int MaxEntriesPerTable = 50_000;

    /// <summary>How long a login waits for the cluster's answer before the local view decides.</summary>
    public static readonly TimeSpan ClusterWait = TimeSpan.FromSeconds(2);

    private readonly LoginLedger _local;
    private readonly IGrainFactory? _cluster;
    private readonly ILogger<LoginThrottle>? _logger;
    private long _lastWarning;

    /// <summary>A throttle for this gateway; without <paramref name="cluster"/> it counts only what it sees.</summary>
    public LoginThrottle(IOptions<CimiGatewayOptions> options, TimeProvider time, IGrainFactory? cluster = null, ILogger<LoginThrottle>? logger = null)
    {
        _local = new LoginLedger(LimitsOf(options.Value), time, MaxEntriesPerTable);
        _cluster = cluster;
        _logger = logger;
    }

    public static LoginLimits LimitsOf(CimiGatewayOptions options) => new(
        options.LoginFailuresPerUserAndSource, options.LoginFailuresPerSource, options.LoginFailuresPerUser, options.LoginThrottleWindowSeconds);

    /// <summary>Buckets held by this gateway's own ledger.</summary>
    public int TrackedKeys => _local.TrackedKeys;

    /// <summary>The key a source address is counted under.</summary>
    public static string SourceOf(IPAddress? address)
    {
        if (address is null) return "local";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>
    /// Null when this login may go on, else how long the caller must wait. <paramref name="verified"/> says
    /// the credentials are a current cached success; <paramref name="knownSource"/> that this source has
    /// used them here before; a null <paramref name="user"/> is a login that names no possible user.
    /// </summary>
    public async ValueTask<TimeSpan?> BeginAsync(string? user, string source, bool verified, bool knownSource = false)
    {
        if (_local.Begin(user, source, verified) is { } local) return local.RetryAfter;
        if (_cluster is null || (verified && knownSource)) return null;
        LoginRefusal? refusal;
        try
        {
            refusal = await AskAsync(user, source, verified).WaitAsync(ClusterWait);
        }
        catch (Exception e)
        {
            Warn(e);
            return null;
        }
        if (refusal is null) return null;
        _local.RefusedElsewhere(user, source, verified, refusal);
        return refusal.RetryAfter;
    }

    /// <summary>
    /// The password was right: the failure counted by <see cref="BeginAsync"/> is refunded and this source's
    /// record for the user ends (as OWASP's counters reset on success).
    /// </summary>
    public Task SucceededAsync(string user, string source)
    {
        _local.Succeeded(user, source);
        return TellAsync(user, source, (shard, u, s) => shard.SucceededUser(u, s));
    }

    /// <summary>The check did not happen (the hashing gate was full): nothing is held against anyone.</summary>
    public Task NotCheckedAsync(string user, string source)
    {
        _local.NotChecked(user, source);
        return TellAsync(user, source, (shard, u, s) => shard.NotCheckedUser(u, s));
    }

    /// <summary>The cluster's half of <see cref="LoginLedger.Begin"/>, over the user's and the source's shards.</summary>
    private async Task<LoginRefusal?> AskAsync(string? user, string source, bool verified)
    {
        var bySource = _cluster!.GetGrain<ILoginThrottleGrain>(LoginThrottleShards.OfSource(source));
        if (user is null) return await bySource.BeginSource(source);
        var byUser = _cluster.GetGrain<ILoginThrottleGrain>(LoginThrottleShards.OfUser(user));
        if (await byUser.BeginUser(user, source, verified) is { } refused) return refused;
        if (verified) return null;
        if (await bySource.BeginSource(source) is not { } sourceRefused) return null;
        await byUser.RefusedBySource(user);
        return sourceRefused;
    }

    private async Task TellAsync(string user, string source, Func<ILoginThrottleGrain, string, string, Task> userSide)
    {
        if (_cluster is null) return;
        try
        {
            await Task.WhenAll(
                userSide(_cluster.GetGrain<ILoginThrottleGrain>(LoginThrottleShards.OfUser(user)), user, source),
                _cluster.GetGrain<ILoginThrottleGrain>(LoginThrottleShards.OfSource(source)).RefundSource(source))
                .WaitAsync(ClusterWait);
        }
        catch (Exception e)
        {
            // The cluster keeps a failure it should have refunded: it drains with the window.
            Warn(e);
        }
    }

    /// <summary>At most one warning a minute: an unreachable shard must not turn every login into a log line.</summary>
    private void Warn(Exception e)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastWarning);
        if (last != 0 && now - last < 60_000) return;
        if (Interlocked.CompareExchange(ref _lastWarning, now, last) != last) return;
        _logger?.LogWarning("The cluster's login throttle did not answer ({Error}); this gateway's own counts decide meanwhile.", e.Message);
    }
}
