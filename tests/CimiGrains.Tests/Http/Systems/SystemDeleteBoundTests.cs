using System.Diagnostics;
using System.Text.Json.Nodes;
using static CimiGrains.Tests.Http.Systems.SystemDocs;

namespace CimiGrains.Tests.Http.Systems;

/// <summary>
/// A System's delete is bounded: a member that keeps refusing its delete (here the System's Network, which a
/// NetworkPort made outside the System still uses) fails the delete's Job naming it after
/// <c>CIMI_SYSTEM_MEMBER_REFUSAL_SECONDS</c>, leaves the System in ERROR with that member, and a later delete
/// succeeds once the member is free.
/// </summary>
public sealed class SystemDeleteBoundTests
{
    private const int RefusalSeconds = 3;

    [Fact]
    public async Task A_member_that_refuses_its_delete_fails_the_Systems_delete_naming_it_after_the_configured_limit()
    {
        var postgres = await TestDatabase.CreateAsync("sysbound");
        await using var gateway = await GatewayProcess.StartAsync(postgres,
            new Dictionary<string, string> { ["CIMI_SYSTEM_MEMBER_REFUSAL_SECONDS"] = RefusalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        using var client = await Tenants.CreateAsync(gateway);

        var created = await client.PostAsync("systems", Create(Template("held", NetworkComponent("net"))));
        Assert.True(created.Code == 202, created.ToString());
        var system = created.Header("Location")!;
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(created.JobUri(), TimeSpan.FromSeconds(60))).Str("state"));
        var networks = await client.GetAsync((await client.GetAsync(system)).Json["networks"].Str("href"));
        var network = Assert.Single(networks.Json["systemNetworks"]!.AsArray())!["network"].Str("href");
        // Something outside the System holds its Network.
        var port = await CimiDocs.Created(client, "networkPorts", Networks.NetworkDocs.PortCreate(new JsonObject { ["network"] = Ref(network) }));

        var clock = Stopwatch.StartNew();
        var delete = await client.DeleteAsync(system);
        Assert.True(delete.Code == 202, delete.ToString());
        var job = await client.WaitForJobAsync(delete.JobUri(), TimeSpan.FromSeconds(60));
        clock.Stop();
        Assert.Equal("FAILED", job.Str("state"));
        Assert.Contains("The System was not deleted", job.Str("statusMessage"));
        Assert.Contains(network[(network.LastIndexOf('/') + 1)..], job.Str("statusMessage"));
        Assert.Contains($"refused its delete for over {RefusalSeconds} s", job.Str("statusMessage"));
        // The configured limit, not the default minute, decided it.
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(RefusalSeconds) && clock.Elapsed < TimeSpan.FromSeconds(45),
            $"the delete ended after {clock.Elapsed.TotalSeconds:0.0} s");
        await Eventually.Until(() => client.GetAsync(system), r => r.Json.Str("state") == "ERROR", "the System to stay, in ERROR");
        Assert.Equal(200, (await client.GetAsync(network)).Code);

        // Once the port goes, the System can be deleted, with its Network.
        Assert.True((await client.DeleteAsync(port)).Code is 200 or 202 or 204);
        await Eventually.Until(() => client.GetAsync(port), r => r.Code == 404, "the port to go");
        var again = await client.DeleteAsync(system);
        Assert.True(again.Code == 202, again.ToString());
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(again.JobUri(), TimeSpan.FromSeconds(60))).Str("state"));
        Assert.Equal(404, (await client.GetAsync(system)).Code);
        Assert.Equal(404, (await client.GetAsync(network)).Code);
    }
}
