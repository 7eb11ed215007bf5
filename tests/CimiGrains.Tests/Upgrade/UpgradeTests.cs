using Npgsql;

namespace CimiGrains.Tests.Upgrade;

/// <summary>
/// A gateway of this version started on a database an earlier version wrote. Grain state is stored as
/// JSON by property name, so renaming or reshaping a state class silently loses what it held: the
/// resource would read as absent (404) or come back without its host. Each database under
/// <c>Databases/</c> is a <c>pg_dump --inserts</c> of a real cloud (gateway and Docker agent) of that
/// version, taken while its agent was away; membership rows are left out, since those silos are gone.
/// </summary>
public sealed class UpgradeTests
{
    /// <summary>
    /// Written by main at 601662c (before the hosted-resource base): tenant demo (password
    /// <c>demo-upgrade</c>) with Machine "db" placed on host upgrade-host, STOPPED and then ERROR because
    /// the agent was killed; Machine "queued", whose create failed for want of a host; Credential "ops"
    /// (password sealed with <see cref="BeforeIssue10Key"/>); and the Jobs of all that.
    /// </summary>
    private const string BeforeIssue10 = "before-issue-10.sql";
    private const string BeforeIssue10Key = "dXBncmFkZS10ZXN0LWtleS0zMi1ieXRlcy1sb25nISE=";
    private const string Db = "machines/0b14aa26c023427b9af5e00e71019baa";
    private const string Queued = "machines/3efc06efee8545aca4280b69bf34142b";
    private const string Ops = "credentials/aff3d15668cf48b3b6a9052d571e945d";
    private const string DbCreateJob = "jobs/9ea2c389dec64c4aa8454c0791ee8cd7";

    [Fact]
    public async Task Resources_written_before_the_hosted_resource_base_read_back_whole_and_still_operate()
    {
        var postgres = await RestoreAsync(BeforeIssue10);
        await using var gateway = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string>
        {
            ["CIMI_SECRET_KEY"] = BeforeIssue10Key,
        });
        using var client = new CimiClient(gateway.BaseAddress, "demo", "demo-upgrade");

        var db = (await client.GetAsync(Db)).Json;
        Assert.Equal("db", db["name"]!.GetValue<string>());
        Assert.Equal("upgrade db", db["description"]!.GetValue<string>());
        Assert.Equal("db", db["properties"]!["role"]!.GetValue<string>());
        Assert.Equal(1, db["cpu"]!.GetValue<int>());
        Assert.Equal(262144, db["memory"]!.GetValue<long>());
        Assert.EndsWith("machineConfigs/small", db["machineConfig"]!["href"]!.GetValue<string>());
        // Its host is still known: the state says the host is away, not that the Machine has none.
        Assert.Contains("upgrade-host", db["properties"]!["cimigrains.hostStatus"]!.GetValue<string>());

        var queued = await client.GetAsync(Queued);
        Assert.Equal(200, queued.Code);
        Assert.Equal("queued", queued.Json["name"]!.GetValue<string>());

        var ops = await client.GetAsync(Ops);
        Assert.Equal(200, ops.Code);
        Assert.Equal("ops", ops.Json["userName"]!.GetValue<string>());

        var job = (await client.GetAsync(DbCreateJob)).Json;
        Assert.Equal("SUCCESS", job["state"]!.GetValue<string>());

        var machines = (await client.GetAsync("machines")).Json;
        Assert.Equal(2, machines["count"]!.GetValue<int>());
        // Rows of the read model written before schema 011 name their EventLog too (the migration gave
        // it to them), and it answers.
        foreach (var item in machines["machines"]!.AsArray())
        {
            var id = item!["id"]!.GetValue<string>();
            var log = item["eventLog"]?["href"]?.GetValue<string>();
            Assert.True(log is not null && log.EndsWith("/eventLogs/" + id[(id.IndexOf("/cimi/", StringComparison.Ordinal) + 6)..].Replace('/', '.'), StringComparison.Ordinal),
                $"{id} lists eventLog {log ?? "(none)"}");
            Assert.Equal(200, (await client.GetAsync(log!)).Code);
        }

        // An operation on a Machine of the old version runs through this version's pipeline: its host is
        // gone for good, so the delete forgets it there and the Machine goes.
        var deleted = await client.DeleteAsync(Db);
        Assert.Equal(202, deleted.Code);
        await client.WaitForJobAsync(deleted.JobUri(), TimeSpan.FromMinutes(2));
        await Eventually.Until(() => client.GetAsync(Db), r => r.Code == 404, "the old Machine to be deleted");
    }

    private static async Task<string> RestoreAsync(string dump)
    {
        var postgres = await TestDatabase.CreateAsync("upgrade");
        var script = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Upgrade", "Databases", dump));
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(script, connection) { CommandTimeout = 120 };
        await command.ExecuteNonQueryAsync();
        return postgres;
    }
}
