using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Cluster;

/// <summary>Two Gateway processes on one database are one cluster: any instance reaches any grain.</summary>
public sealed class TwoSiloTests
{
    [Fact]
    public async Task Two_instances_form_one_cluster_and_survive_the_loss_of_one()
    {
        var postgres = await TestDatabase.CreateAsync("twosilo");
        await using var a = await GatewayProcess.StartAsync(postgres);
        await using var b = await GatewayProcess.StartAsync(postgres);
        using var viaA = await Tenants.CreateAsync(a);
        using var viaB = b.Client(viaA.User, Tenants.Password);

        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
            ids.Add(await CimiDocs.Created(i % 2 == 0 ? viaA : viaB, "machineConfigs", CimiDocs.Configuration(i + 1)));

        // Every resource is readable and writable through either instance.
        foreach (var id in ids)
        {
            var relative = id[(id.IndexOf("/cimi/", StringComparison.Ordinal) + 6)..];
            Assert.Equal(200, (await viaA.GetAsync(relative)).Code);
            var put = await viaB.PutAsync(relative, new JsonObject { ["name"] = "via-b", ["cpu"] = 4, ["memory"] = 262144 });
            Assert.True(put.Code == 200, put.ToString());
            Assert.Equal("via-b", (await viaA.GetAsync(relative)).Json.Str("name"));
        }
        Assert.Equal(8, (await viaB.GetAsync("machineConfigs")).Json["count"]!.GetValue<int>());

        // Both silos are members (the membership table is PostgreSQL's).
        await using (var connection = new Npgsql.NpgsqlConnection(postgres))
        {
            await connection.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand("SELECT count(*) FROM orleansmembershiptable WHERE status = 3", connection);
            Assert.Equal(2L, (long)(await cmd.ExecuteScalarAsync())!);
        }

        await a.KillAsync();
        foreach (var id in ids)
        {
            var relative = id[(id.IndexOf("/cimi/", StringComparison.Ordinal) + 6)..];
            var read = await Eventually.Until(() => viaB.GetAsync(relative), r => r.Code == 200,
                $"{relative} to be served by the surviving instance", TimeSpan.FromSeconds(60));
            Assert.Equal("via-b", read.Json.Str("name"));
        }
    }
}
