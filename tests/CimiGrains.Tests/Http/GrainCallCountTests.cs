using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http;

/// <summary><c>GET /admin/grain-calls</c>: the silo's count of the grain calls it received, which the benchmarks
/// difference around an operation to give its cost in calls.</summary>
[Collection(GatewayCollection.Name)]
public sealed class GrainCallCountTests(GatewayFixture fixture)
{
    [Fact]
    public async Task A_Machine_create_adds_to_the_Machine_grains_calls_and_only_operators_can_read_them()
    {
        using var admin = fixture.Gateway.Admin();
        using var client = await fixture.NewTenantAsync();
        var before = await CountsAsync(admin);

        var template = await CimiDocs.TemplateAsync(client);
        var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template));
        Assert.True(created.Code == 202, created.ToString());
        await client.WaitForJobAsync(created.JobUri());

        var after = await CountsAsync(admin);
        Assert.Equal(before.Silo, after.Silo);
        var machineCalls = Calls(after, "IMachineGrain") - Calls(before, "IMachineGrain");
        // The create's accept, at the least (the outcome with no host is the grain's own turn, not a call); the Job's
        // grain is called too.
        Assert.True(machineCalls >= 1, $"the Machine grain's calls: {machineCalls}");
        Assert.True(Calls(after, "IJobGrain") > Calls(before, "IJobGrain"), "the Job grain's calls");
        Assert.True(after.Total - before.Total >= machineCalls, $"the total: {before.Total} then {after.Total}");
        Assert.Equal(after.ByInterface.Values.Sum(), after.Total);

        Assert.Equal(403, (await client.GetAsync("/admin/grain-calls")).Code);
        using var anonymous = new CimiClient(fixture.Gateway.BaseAddress, "nobody", "not-a-password");
        Assert.Equal(401, (await anonymous.GetAsync("/admin/grain-calls")).Code);
    }

    private sealed record Counts(string Silo, long Total, Dictionary<string, long> ByInterface);

    private static long Calls(Counts counts, string grainInterface) =>
        counts.ByInterface.Where(p => p.Key.EndsWith("." + grainInterface, StringComparison.Ordinal) || p.Key == grainInterface).Sum(p => p.Value);

    private static async Task<Counts> CountsAsync(CimiClient admin)
    {
        var response = await admin.GetAsync("/admin/grain-calls");
        Assert.True(response.Code == 200, response.ToString());
        var json = response.Json;
        var byInterface = json["byInterface"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<long>());
        return new Counts(json.Str("silo"), json["total"]!.GetValue<long>(), byInterface);
    }
}
