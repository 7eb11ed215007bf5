using System.Collections.Concurrent;
using CimiGrains.Tenancy;

namespace CimiGrains.Grains.Tenants;

/// <summary>
/// Failed logins counted per (user, source address), per source and per user, each in a leaky bucket that
/// holds <c>limit</c> failures and drains over the window, so after N quick failures the next attempt waits
/// window/N and a persistent guesser gets N guesses per window (OWASP's Authentication Cheat Sheet prefers
/// this to hard account lockout). Each gateway keeps one for what it saw itself; each
/// <see cref="LoginThrottleGrain"/> keeps one for its share of the cluster's users and sources.
/// </summary>
/// <remarks>
/// The user side (pair and user buckets, both found from the user name) and the source side (source
/// buckets) are separate calls, so the cluster can keep them in different shards; <see cref="Begin"/>
/// combines them the way a gateway does for one login.
/// <list type="bullet">
/// <item>The per-user limit never refuses a source that has not failed for that user: a user under a
/// distributed attack still logs in from their own machine (the "known device" rule of real services).</item>
/// <item>The per-source limit (password spraying, floods) refuses only logins that would need a password
/// check; credentials already verified (cached, stamp still current) still pass, so the people behind a
/// noisy NAT keep working.</item>
/// <item>Only the (user, source) pair refuses everything, including a correct password: that is the one
/// place where allowing it would give a throttled guesser an oracle. Refused attempts count there too.</item>
/// </list>
/// Memory stays bounded under a flood of distinct names or addresses: each table holds at most
/// <c>maxEntriesPerTable</c> buckets, and a full table first drops drained buckets, then the emptiest half,
/// so the buckets that matter (the fullest) survive an attempt to flush them.
/// </remarks>
public sealed class LoginLedger(LoginLimits limits, TimeProvider time, int maxEntriesPerTable)
{
    private readonly Table _pairs = new(limits.PerUserAndSource, limits.WindowSeconds, time, maxEntriesPerTable);
    private readonly Table _sources = new(limits.PerSource, limits.WindowSeconds, time, maxEntriesPerTable);
    private readonly Table _users = new(limits.PerUser, limits.WindowSeconds, time, maxEntriesPerTable);

    /// <summary>Buckets held across the three tables (at most three times the table size).</summary>
    public int TrackedKeys => _pairs.Count + _sources.Count + _users.Count;

    /// <summary>
    /// One login as a whole: null when it may go on, else why not and for how long. <paramref name="verified"/>
    /// says the credentials are a current cached success (no password check needed); a null
    /// <paramref name="user"/> is a login that names no possible user (only the source is counted).
    /// </summary>
    /// <remarks>
    /// A login allowed to a password check is counted as a failure now, before the check, and refunded by
    /// <see cref="Succeeded"/>: counting after the check would let an attacker's parallel connections all
    /// pass the limit while their checks wait for the hashing gate.
    /// </remarks>
    public LoginRefusal? Begin(string? user, string source, bool verified)
    {
        if (user is null) return BeginSource(source);
        if (BeginUser(user, source, verified) is { } refused) return refused;
        if (verified) return null;
        if (BeginSource(source) is not { } bySource) return null;
        RefusedBySource(user);
        return bySource;
    }

    /// <summary>The user side of a login: the pair's bucket, and for an unverified login the user's.</summary>
    public LoginRefusal? BeginUser(string user, string source, bool verified)
    {
        var pair = PairKey(user, source);
        LoginRefusal? refused = _pairs.WaitFor(pair) is { } pairWait ? new(LoginRefusalReason.UserAndSource, pairWait) : null;
        if (refused is null && !verified && _users.WaitFor(user) is { } userWait && _pairs.HasFailures(pair))
            refused = new(LoginRefusalReason.User, Min(userWait, _pairs.UntilEmpty(pair)));
        if (refused is not null)
        {
            // A refused attempt is still an attempt: without this, a source throttled for spraying could
            // keep probing cached credentials for free.
            _pairs.Add(pair);
            return refused;
        }
        if (!verified)
        {
            _pairs.Add(pair);
            _users.Add(user);
        }
        return null;
    }

    /// <summary>The source side of a login that needs a password check.</summary>
    public LoginRefusal? BeginSource(string source)
    {
        if (_sources.WaitFor(source) is { } wait) return new(LoginRefusalReason.Source, wait);
        _sources.Add(source);
        return null;
    }

    /// <summary>The source side refused a login the user side had let through: the user's count is given back
    /// (the per-user limit counts checks), while the pair keeps the refused attempt.</summary>
    public void RefusedBySource(string user) => _users.Refund(user);

    /// <summary>
    /// Another ledger (the cluster's) refused this login: hold it here too for as long, so that this
    /// gateway refuses the next attempts itself instead of asking again. The counts this ledger's
    /// <see cref="Begin"/> took for a check that will not happen are given back.
    /// </summary>
    public void RefusedElsewhere(string? user, string source, bool verified, LoginRefusal refusal)
    {
        if (user is not null && !verified)
        {
            _users.Refund(user);
            _sources.Refund(source);
        }
        // A per-user refusal is not held: it depends on the pair's failures, which the cluster keeps.
        if (refusal.Reason == LoginRefusalReason.Source) _sources.Hold(source, refusal.RetryAfter);
        else if (refusal.Reason == LoginRefusalReason.UserAndSource && user is not null) _pairs.Hold(PairKey(user, source), refusal.RetryAfter);
    }

    /// <summary>
    /// The password was right: the failure counted by <see cref="Begin"/> is refunded and this source's
    /// record for the user ends (as OWASP's counters reset on success).
    /// </summary>
    public void Succeeded(string user, string source)
    {
        SucceededUser(user, source);
        _sources.Refund(source);
    }

    /// <summary>The user side of <see cref="Succeeded"/>.</summary>
    public void SucceededUser(string user, string source)
    {
        _pairs.Remove(PairKey(user, source));
        _users.Refund(user);
    }

    /// <summary>The check did not happen (the hashing gate was full): nothing is held against anyone.</summary>
    public void NotChecked(string user, string source)
    {
        NotCheckedUser(user, source);
        _sources.Refund(source);
    }

    /// <summary>The user side of <see cref="NotChecked"/>.</summary>
    public void NotCheckedUser(string user, string source)
    {
        _pairs.Refund(PairKey(user, source));
        _users.Refund(user);
    }

    /// <summary>The source side of <see cref="Succeeded"/> and <see cref="NotChecked"/>.</summary>
    public void RefundSource(string source) => _sources.Refund(source);

    private static string PairKey(string user, string source) => user + "\n" + source;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Leaky buckets by key: level rises by one per failure and drains at limit/window per second.</summary>
    private sealed class Table(int limit, int windowSeconds, TimeProvider time, int maxEntries)
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
        public void Add(string key) => Get(key).Add(Now, _drainPerSecond, 2.0 * limit);

        /// <summary>Raises the bucket so that <see cref="WaitFor"/> answers at least <paramref name="wait"/>.</summary>
        public void Hold(string key, TimeSpan wait) =>
            Get(key).Raise(Now, _drainPerSecond, Math.Min(2.0 * limit, limit - 1 + (wait.TotalSeconds * _drainPerSecond)));

        public void Remove(string key) => _buckets.TryRemove(key, out _);

        public void Refund(string key)
        {
            if (_buckets.TryGetValue(key, out var bucket)) bucket.Refund(Now, _drainPerSecond);
        }

        private Bucket Get(string key)
        {
            if (_buckets.TryGetValue(key, out var bucket)) return bucket;
            if (_buckets.Count >= maxEntries) Sweep();
            return _buckets.GetOrAdd(key, _ => new Bucket());
        }

        private double Now => time.GetTimestamp() / (double)time.TimestampFrequency;

        private void Sweep()
        {
            lock (_sweep)
            {
                if (_buckets.Count < maxEntries) return;
                var now = Now;
                var levels = _buckets.Select(b => (b.Key, Level: b.Value.Level(now, _drainPerSecond))).ToList();
                foreach (var (key, level) in levels.Where(l => l.Level <= 0)) _buckets.TryRemove(key, out _);
                if (_buckets.Count < maxEntries * 9 / 10) return;
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

        public void Raise(double now, double drainPerSecond, double level)
        {
            lock (_lock)
            {
                _level = Math.Max(level, Math.Max(0, _level - (now - _at) * drainPerSecond));
                _at = now;
            }
        }
    }
}
