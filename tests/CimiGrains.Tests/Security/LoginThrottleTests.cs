using CimiGrains.Gateway.Security;
using CimiGrains.Grains.Tenants;
using CimiGrains.Tenancy;

namespace CimiGrains.Tests.Security;

/// <summary>The throttle's own rules (LoginLedger), in process: limits, the rules that keep the real user in, bounded memory.</summary>
public sealed class LoginThrottleTests
{
    private static LoginLedger Throttle(int perPair = 3, int perSource = 10, int perUser = 6) =>
        new(new LoginLimits(perPair, perSource, perUser, WindowSeconds: 600), TimeProvider.System, LoginThrottle.MaxEntriesPerTable);

    [Fact]
    public void The_pair_limit_refuses_the_next_attempt_with_a_wait_of_about_window_over_limit()
    {
        var throttle = Throttle();
        // Three checks that fail (a failure is counted when the check begins)...
        for (var i = 0; i < 3; i++) Assert.Null(throttle.Begin("u", "10.0.0.1", verified: false));
        // ...and the fourth waits, even with a verified credential: no oracle for the guesser.
        var wait = throttle.Begin("u", "10.0.0.1", verified: true);
        Assert.NotNull(wait);
        Assert.InRange(wait.RetryAfter.TotalSeconds, 150, 250);
        Assert.Equal(LoginRefusalReason.UserAndSource, wait.Reason);
        Assert.Null(throttle.Begin("u", "10.0.0.2", verified: false));
    }

    [Fact]
    public void A_success_refunds_its_check_so_a_user_who_logs_in_never_adds_up_to_a_lockout()
    {
        var throttle = Throttle(perPair: 3, perSource: 3, perUser: 3);
        for (var i = 0; i < 10; i++)
        {
            Assert.Null(throttle.Begin("u", "10.0.0.1", verified: false));
            throttle.Succeeded("u", "10.0.0.1");
        }
        Assert.Null(throttle.Begin("u", "10.0.0.1", verified: false));
    }

    [Fact]
    public void IPv6_sources_are_counted_per_64_and_mapped_IPv4_as_IPv4()
    {
        Assert.Equal(LoginThrottle.SourceOf(System.Net.IPAddress.Parse("2001:db8:1:2::1")),
            LoginThrottle.SourceOf(System.Net.IPAddress.Parse("2001:db8:1:2:ffff::9")));
        Assert.NotEqual(LoginThrottle.SourceOf(System.Net.IPAddress.Parse("2001:db8:1:2::1")),
            LoginThrottle.SourceOf(System.Net.IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Equal("192.0.2.7", LoginThrottle.SourceOf(System.Net.IPAddress.Parse("::ffff:192.0.2.7")));
    }

    [Fact]
    public void A_flood_of_distinct_names_and_sources_stays_bounded_and_does_not_flush_a_locked_pair()
    {
        var throttle = Throttle(perPair: 3, perSource: 1_000_000, perUser: 1_000_000);
        for (var i = 0; i < 3; i++) throttle.Begin("victim", "10.9.9.9", verified: false);
        Assert.NotNull(throttle.Begin("victim", "10.9.9.9", verified: false));

        for (var i = 0; i < LoginThrottle.MaxEntriesPerTable * 3 / 2; i++)
            throttle.Begin($"name-{i}", $"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", verified: false);

        Assert.InRange(throttle.TrackedKeys, 1, 3 * LoginThrottle.MaxEntriesPerTable);
        Assert.NotNull(throttle.Begin("victim", "10.9.9.9", verified: false));
    }

    [Fact]
    public void A_refusal_from_the_cluster_is_held_locally_for_the_time_it_gave_and_gives_back_the_local_counts()
    {
        var throttle = Throttle(perPair: 3, perSource: 10, perUser: 6);
        Assert.Null(throttle.Begin("u", "10.0.0.1", verified: false));
        // The cluster saw the pair fail on other gateways and refuses it for 100 s.
        throttle.RefusedElsewhere("u", "10.0.0.1", verified: false, new LoginRefusal(LoginRefusalReason.UserAndSource, TimeSpan.FromSeconds(100)));
        var held = throttle.Begin("u", "10.0.0.1", verified: true);
        Assert.NotNull(held);
        Assert.InRange(held.RetryAfter.TotalSeconds, 95, 205);
        // The source and the user were given back the check that did not happen: another user from
        // that source, and the user from another source, pass as if nothing had been counted for them.
        for (var i = 0; i < 10; i++) Assert.Null(throttle.Begin($"other-{i}", "10.0.0.1", verified: false));
        Assert.NotNull(throttle.Begin("other-x", "10.0.0.1", verified: false));

        // A source refusal holds the source for logins that need a check, not the verified ones.
        var sprayed = Throttle();
        sprayed.RefusedElsewhere(null, "10.0.0.2", verified: false, new LoginRefusal(LoginRefusalReason.Source, TimeSpan.FromSeconds(60)));
        Assert.Equal(LoginRefusalReason.Source, sprayed.Begin("v", "10.0.0.2", verified: false)?.Reason);
        Assert.Null(sprayed.Begin("v", "10.0.0.2", verified: true));
    }
}

/// <summary>The gateway's throttle when the cluster's shards do not answer: its own counts decide, and quickly.</summary>
public sealed class LoginThrottleFallbackTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task When_the_shards_hang_or_fail_logins_go_on_under_the_gateways_own_limits(bool hang)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new CimiGrains.Gateway.Hosting.CimiGatewayOptions
        {
            LoginFailuresPerUserAndSource = 3,
            LoginFailuresPerSource = 100,
            LoginFailuresPerUser = 100,
            LoginThrottleWindowSeconds = 600,
        });
        var throttle = new LoginThrottle(options, TimeProvider.System, new UnreachableShards(hang));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 3; i++) Assert.Null(await throttle.BeginAsync("u", "10.0.0.1", verified: false));
        // Each wait is bounded by ClusterWait, not by the silo's response timeout.
        Assert.True(watch.Elapsed < 3 * LoginThrottle.ClusterWait + TimeSpan.FromSeconds(5), $"{watch.Elapsed}");
        Assert.NotNull(await throttle.BeginAsync("u", "10.0.0.1", verified: true));
        await throttle.SucceededAsync("v", "10.0.0.2");
    }

    /// <summary>A cluster whose login throttle shards never answer (a dead silo) or always fail.</summary>
    private sealed class UnreachableShards(bool hang) : IGrainFactory
    {
        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerKey
        {
            var proxy = System.Reflection.DispatchProxy.Create<ILoginThrottleGrain, Shard>();
            ((Shard)(object)proxy).Hang = hang;
            return (TGrainInterface)(object)proxy;
        }

        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidKey => throw new NotSupportedException();
        public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithStringKey => throw new NotSupportedException();
        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidCompoundKey => throw new NotSupportedException();
        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerCompoundKey => throw new NotSupportedException();
        public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver => throw new NotSupportedException();
        public void DeleteObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey) => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey) => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, string grainPrimaryKey) => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension) => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension) => throw new NotSupportedException();
        public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable => throw new NotSupportedException();
        public IAddressable GetGrain(GrainId grainId) => throw new NotSupportedException();
        public IAddressable GetGrain(GrainId grainId, GrainInterfaceType interfaceType) => throw new NotSupportedException();
        public IAddressable GetGrain(Type grainInterfaceType, IdSpan grainPrimaryKey) => throw new NotSupportedException();
        public IAddressable GetGrain(Type grainInterfaceType, IdSpan grainPrimaryKey, string grainClassNamePrefix) => throw new NotSupportedException();
    }

    public class Shard : System.Reflection.DispatchProxy
    {
        public bool Hang { get; set; }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            if (Hang) return targetMethod!.ReturnType == typeof(Task) ? new TaskCompletionSource().Task : new TaskCompletionSource<LoginRefusal?>().Task;
            var failure = new TimeoutException("the shard's silo is gone");
            return targetMethod!.ReturnType == typeof(Task) ? Task.FromException(failure) : Task.FromException<LoginRefusal?>(failure);
        }
    }
}
