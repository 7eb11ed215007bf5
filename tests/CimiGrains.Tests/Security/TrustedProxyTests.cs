namespace CimiGrains.Tests.Security;

/// <summary>
/// The login throttle behind a reverse proxy (issue 9, finding 10): the clients a trusted proxy forwards
/// are throttled each as its own source, and a client that is not a trusted proxy cannot choose its source
/// by sending X-Forwarded-For itself.
/// </summary>
[Collection(AuthenticationCollection.Name)]
public sealed class TrustedProxyTests(AuthenticationFixture fixture)
{
    [Fact]
    public async Task Clients_behind_a_trusted_proxy_are_throttled_each_by_its_own_address()
    {
        using var user = await Tenants.CreateAsync(fixture.First, "prx");
        using var proxy = new LoopbackSource(fixture.First.BaseAddress, AuthenticationFixture.TrustedProxy);
        const string attacker = "192.0.2.10", owner = "192.0.2.11";

        for (var i = 0; i < AuthenticationFixture.FailuresPerUserAndSource; i++)
            Assert.Equal(401, (await proxy.GetAsync("/cimi/cloudEntryPoint", user.User, "wrong-" + i, attacker)).Code);
        Assert.Equal(429, (await proxy.GetAsync("/cimi/cloudEntryPoint", user.User, "wrong-x", attacker)).Code);
        // The same proxy forwarding the real user: not the attacker's source, so not throttled.
        Assert.Equal(200, (await proxy.GetAsync("/cimi/cloudEntryPoint", user.User, Tenants.Password, owner)).Code);
        // A proxy chain: the client is the rightmost address that is not a trusted proxy.
        Assert.Equal(429, (await proxy.GetAsync("/cimi/cloudEntryPoint", user.User, Tenants.Password,
            $"{owner}, {attacker}")).Code);
    }

    [Fact]
    public async Task A_client_that_is_no_trusted_proxy_cannot_pick_its_source_with_X_Forwarded_For()
    {
        using var user = await Tenants.CreateAsync(fixture.First, "spf");
        using var client = new LoopbackSource(fixture.First.BaseAddress, "127.0.0.61");
        for (var i = 0; i < AuthenticationFixture.FailuresPerUserAndSource; i++)
            Assert.Equal(401, (await client.GetAsync("/cimi/cloudEntryPoint", user.User, "wrong-" + i, $"198.51.100.{i}")).Code);
        // Every attempt counted against 127.0.0.61 whatever the header claimed.
        Assert.Equal(429, (await client.GetAsync("/cimi/cloudEntryPoint", user.User, Tenants.Password, "198.51.100.99")).Code);
    }
}
