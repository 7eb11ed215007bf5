using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

/// <summary>The agent API over TLS with a certificate made at test time.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task An_agent_trusting_the_gateways_certificate_runs_a_Machine_over_TLS_and_agents_that_do_not_are_refused()
    {
        using var certificate = TestCertificate.Create("cimigrains-test-gateway");
        using var stranger = TestCertificate.Create("someone-else");
        await using var cloud = await AgentCloud.StartAsync("agenttls", certificate);
        Assert.StartsWith("https://", cloud.Controllers);

        // Trusting another root, trusting only the system's roots, and speaking cleartext to the TLS port.
        var wrongRoot = await cloud.StartAgentAsync(AgentCloud.NewHostId("tlsbad"),
            new Dictionary<string, string> { ["CIMI_AGENT_CA"] = stranger.CertificatePath }, wait: false);
        var systemRoots = await cloud.StartAgentAsync(AgentCloud.NewHostId("tlssys"), wait: false);
        var cleartext = await cloud.StartAgentAsync(AgentCloud.NewHostId("tlsh2c"), wait: false,
            controllers: $"http://127.0.0.1:{cloud.AgentPort}");
        var trusting = await cloud.StartAgentAsync(AgentCloud.NewHostId("tlsok"),
            new Dictionary<string, string> { ["CIMI_AGENT_CA"] = certificate.CertificatePath });
        Assert.Contains("Connected to https://127.0.0.1", trusting.Log);

        var (client, template) = await cloud.NewTenantAsync();
        var (id, key) = await CreateAsync(client, template);
        Assert.Equal("STARTED", await StateAsync(client, id));
        Assert.Equal(trusting.HostId, (await GetAsync(client, id))["host"]!.GetValue<string>());
        Assert.Equal("running", await DockerCli.StateOfAsync(key));

        foreach (var refused in new[] { wrongRoot, systemRoots })
        {
            await Eventually.Until(() => Task.FromResult(refused.Log), l => l.Contains("TLS with https://127.0.0.1"),
                $"agent {refused.HostId} to log that it does not trust the gateway's certificate");
        }
        await Eventually.Until(() => Task.FromResult(cleartext.Log), l => l.Contains("Session with http://127.0.0.1"),
            "the cleartext agent to fail its session");
        foreach (var refused in new[] { wrongRoot, systemRoots, cleartext })
        {
            Assert.False(refused.HasExited, $"agent {refused.HostId} should keep retrying:\n{refused.Log}");
            Assert.DoesNotContain("Connected to", refused.Log);
        }

        // The session works both ways over TLS: an action and the delete go through it.
        await ActAsync(client, id, "stop");
        Assert.Equal("exited", await DockerCli.StateOfAsync(key));
        await DeleteAsync(client, id);
        Assert.Equal("absent", await DockerCli.StateOfAsync(key));
    }
}
