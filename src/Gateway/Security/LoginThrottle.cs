using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using CimiGrains.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace CimiGrains.Gateway.Security;

/// <summary>
/// Login throttling in the way OWASP's Authentication Cheat Sheet recommends over hard account lockout:
/// failures are counted per (user, source address), per source address and per user, each in a leaky
/// bucket that holds <c>limit</c> failures and drains over the window, so after N quick failures the
/// next attempt waits window/N (Retry-After) and a persistent guesser gets N guesses per window.
/// </summary>
/// <remarks>
/// Why this does not lock the real user out:
/// <list type="bullet">
/// <item>The per-user limit never refuses a source that has not failed for that user: a user under a
/// distributed attack still logs in from their own machine (the "known device" rule of real services).</item>
/// <item>The per-source limit (password spraying, floods) refuses only logins that would need a password
/// check; credentials already verified on this gateway (cached, stamp still current) still pass, so the
/// people behind a noisy NAT keep working.</item>
/// <item>Only the (user, source) pair refuses everything, including a correct password: that is the one
/// place where allowing it would give a throttled guesser an oracle. Refused attempts count there too.</item>
/// </list>
/// Memory stays bounded under a flood of distinct names or addresses: each table holds at most
/// <see cref="MaxEntriesPerTable"/> buckets, and a full table first drops drained buckets, then the
/// emptiest half, so the buckets that matter (the fullest) survive an attempt to flush them.
/// IPv6 sources are counted per /64, since one host commonly owns a whole /64.
/// </remarks>
public sealed class LoginThrottle(IOptions<CimiGatewayOptions> options, TimeProvider time)
{
    public const int MaxEntriesPerTable = 50_000;

    private readonly Table _pairs = new(options.Value.LoginFailuresPerUserAndSource, options.Value.LoginThrottleWindowSeconds, time);
    private readonly Table _sources = new(options.Value.LoginFailuresPerSource, options.Value.LoginThrottleWindowSeconds, time);
    private readonly Table _users = new(options.Value.LoginFailuresPerUser, options.Value.LoginThrottleWindowSeconds, time);

    /// <summary>Buckets held across the three tables (at most three times <see cref="MaxEntriesPerTable"/>).</summary>
    public int TrackedKeys => _pairs.Count + _sources.Count + _users.Count;

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
    /// the credentials are a current cached success (no password check needed); a null
    /// <paramref name="user"/> is a login that names no possible user (only the source is counted).
    /// </summary>
    /// <remarks>
    /// A login allowed to a password check is counted as a failure now, before the check, and refunded by
    /// <see cref="Succeeded"/>: counting after the check would let an attacker's parallel connections all
    /// pass the limit while their checks wait for the hashing gate.
    /// </remarks>
    public TimeSpan? Begin(string? user, string source, bool verified)
    {
        if (user is null)
        {
            if (_sources.WaitFor(source) is { } sourceWait) return sourceWait;
            _sources.Add(source);
            return null;
        }
        var pair = PairKey(user, source);
        var wait = _pairs.WaitFor(pair);
        if (wait is null && !verified)
        {
            wait = _sources.WaitFor(source);
            if (wait is null && _users.WaitFor(user) is { } userWait && _pairs.HasFailures(pair))
                wait = Min(userWait, _pairs.UntilEmpty(pair));
        }
        if (wait is not null)
        {
            // A refused attempt is still an attempt: without this, a source throttled for spraying could
            // keep probing cached credentials for free.
            _pairs.Add(pair);
            return wait;
        }
        if (!verified)
        {
            _pairs.Add(pair);
            _sources.Add(source);
            _users.Add(user);
        }
        return null;
    }

    /// <summary>
    /// The password was right: the failure counted by <see cref="Begin"/> is refunded and this source's
    /// record for the user ends (as OWASP's counters reset on success).
    /// </summary>
    public void Succeeded(string user, string source)
    {
        _pairs.Remove(PairKey(user, source));
        _sources.Refund(source);
        _users.Refund(user);
    }

    /// <summary>The check did not happen (the hashing gate was full): nothing is held against anyone.</summary>
    public void NotChecked(string user, string source)
    {
        _pairs.Refund(PairKey(user, source));
        _sources.Refund(source);
        _users.Refund(user);
    }

    private static string PairKey(string user, string source) => user + "\n" + source;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Leaky buckets by key: level rises by one per failure and drains at limit/window per second.</summary>
    private sealed class Table(int limit, int windowSeconds, TimeProvider time)
    {
        private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
        private readonly double _drainPerSecond = (double)limit / windowSeconds;
        private readonly Lock _sweep = new();

        /// <summary>Null while fewer than <c>limit</c> failures are in the bucket, else the time until one has drained.</summary>
        public TimeSpan? WaitFor(string key)
        {
            if (!_buckets.TryGetValue(key, out var bucket)) return null;
            var level = bucket.Level(Now, _drainPerSecond);
            var excess = level - (limit - 1);
            return excess > 0 ? TimeSpan.FromSeconds(excess / _drainPerSecond) : null;
        }

        public int Count => _buckets.Count;

        public bool HasFailures(string key) => _buckets.TryGetValue(key, out var b) && b.Level(Now, _drainPerSecond) > 0;

        public TimeSpan UntilEmpty(string key) =>
            _buckets.TryGetValue(key, out var b) ? TimeSpan.FromSeconds(b.Level(Now, _drainPerSecond) / _drainPerSecond) : TimeSpan.Zero;

        /// <summary>One more failure; the level stops at twice the limit, so a lockout never outlasts about one window.</summary>
        public void Add(string key)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                if (_buckets.Count >= MaxEntriesPerTable) Sweep();
                bucket = _buckets.GetOrAdd(key, _ => new Bucket());
            }
            bucket.Add(Now, _drainPerSecond, 2.0 * limit);
        }

        public void Remove(string key) => _buckets.TryRemove(key, out _);

        public void Refund(string key)
        {
            if (_buckets.TryGetValue(key, out var bucket)) bucket.Refund(Now, _drainPerSecond);
        }

        private double Now => time.GetTimestamp() / (double)time.TimestampFrequency;

        private void Sweep()
        {
            lock (_sweep)
            {
                if (_buckets.Count < MaxEntriesPerTable) return;
                var now = Now;
                var levels = _buckets.Select(b => (b.Key, Level: b.Value.Level(now, _drainPerSecond))).ToList();
                foreach (var (key, level) in levels.Where(l => l.Level <= 0)) _buckets.TryRemove(key, out _);
                if (_buckets.Count < MaxEntriesPerTable * 9 / 10) return;
                foreach (var (key, _) in levels.Where(l => l.Level > 0).OrderBy(l => l.Level).Take(levels.Count / 2))
                    _buckets.TryRemove(key, out _);
            }
        }
    }

    private sealed class Bucket
    {
        private readonly Lock _lock = new();
        private double _level;
        private double _at;

        public double Level(double now, double drainPerSecond)
        {
            lock (_lock) return Math.Max(0, _level - (now - _at) * drainPerSecond);
        }

        public void Refund(double now, double drainPerSecond)
        {
            lock (_lock)
            {
                _level = Math.Max(0, _level - (now - _at) * drainPerSecond - 1);
                _at = now;
            }
        }

        public void Add(double now, double drainPerSecond, double cap)
        {
            lock (_lock)
            {
                _level = Math.Min(cap, Math.Max(0, _level - (now - _at) * drainPerSecond) + 1);
                _at = now;
            }
        }
    }
}
