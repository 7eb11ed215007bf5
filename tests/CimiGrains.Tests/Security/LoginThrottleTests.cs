using CimiGrains.Gateway.Hosting;
using CimiGrains.Gateway.Security;
using Microsoft.Extensions.Options;

namespace CimiGrains.Tests.Security;

/// <summary>The throttle's own rules, in process: limits, the rules that keep the real user in, bounded memory.</summary>
public sealed class LoginThrottleTests
{
    private static LoginThrottle Throttle(int perPair = 3, int perSource = 10, int perUser = 6) =>
        new(Options.Create(new CimiGatewayOptions
        {
            LoginFailuresPerUserAndSource = perPair,
            LoginFailuresPerSource = perSource,
            LoginFailuresPerUser = perUser,
            LoginThrottleWindowSeconds = 600,
        }), TimeProvider.System);

    [Fact]
    public void The_pair_limit_refuses_the_next_attempt_with_a_wait_of_about_window_over_limit()
    {
        var throttle = Throttle();
        // Three checks that fail (a failure is counted when the check begins)...
        for (var i = 0; i < 3; i++) Assert.Null(throttle.Begin("u", "10.0.0.1", verified: false));
        // ...and the fourth waits, even with a verified credential: no oracle for the guesser.
        var wait = throttle.Begin("u", "10.0.0.1", verified: true);
        Assert.NotNull(wait);
        Assert.InRange(wait.Value.TotalSeconds, 150, 250);
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
}
