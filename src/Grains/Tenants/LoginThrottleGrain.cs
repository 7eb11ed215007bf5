using CimiGrains.Tenancy;

namespace CimiGrains.Grains.Tenants;

/// <summary>
/// One shard of the cluster's login throttle (see <see cref="ILoginThrottleGrain"/>). Its ledger is memory
/// only, bounded per table, and the activation is kept while counts may still be in it: a full bucket
/// drains in two windows, so collecting the grain sooner would forget failures that still count.
/// </summary>
public sealed class LoginThrottleGrain(LoginLimits limits, TimeProvider time) : Grain, ILoginThrottleGrain
{
    /// <summary>Per table and shard: the cluster holds at most <see cref="LoginThrottleShards.Count"/> times this.</summary>
    public const int MaxEntriesPerTable = 12_500;

    private readonly LoginLedger _ledger = new(limits, time, MaxEntriesPerTable);

    public Task<LoginRefusal?> BeginUser(string user, string source, bool verified) => Counted(_ledger.BeginUser(user, source, verified));

    public Task<LoginRefusal?> BeginSource(string source) => Counted(_ledger.BeginSource(source));

    public Task RefusedBySource(string user)
    {
        _ledger.RefusedBySource(user);
        return Task.CompletedTask;
    }

    public Task SucceededUser(string user, string source)
    {
        _ledger.SucceededUser(user, source);
        return Task.CompletedTask;
    }

    public Task NotCheckedUser(string user, string source)
    {
        _ledger.NotCheckedUser(user, source);
        return Task.CompletedTask;
    }

    public Task RefundSource(string source)
    {
        _ledger.RefundSource(source);
        return Task.CompletedTask;
    }

    private Task<LoginRefusal?> Counted(LoginRefusal? refusal)
    {
        DelayDeactivation(TimeSpan.FromSeconds(2.0 * limits.WindowSeconds));
        return Task.FromResult(refusal);
    }
}
