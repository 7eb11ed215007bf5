using System.Text.Json.Nodes;
using CimiGrains.Tests.Agents;
using Npgsql;

namespace CimiGrains.Tests.Upgrade;

/// <summary>
/// Disks in the create command, on a database an earlier version wrote (before disks were carried to
/// hosts): a Machine whose stored spec has no disks is still created on a host when started, and a new
/// Machine from the old template with a configuration that has disks is created too (the Docker driver
/// does not make disks; it says so in its log).
/// </summary>
public sealed class DiskSpecUpgradeTests
{
    private const string Dump = "before-issue-10.sql";
    private const string Key = "dXBncmFkZS10ZXN0LWtleS0zMi1ieXRlcy1sb25nISE=";
    private const string Queued = "machines/3efc06efee8545aca4280b69bf34142b";
    private const string Secret = "upgrade-disk-secret";

    [Fact]
    public async Task Machines_of_an_old_database_start_with_and_without_configuration_disks()
    {
        await DockerCli.RequireAsync();
        var postgres = await RestoreAsync();
        var ports = FreePorts.Take(4);
        await using var gateway = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string>
        {
            ["CIMI_SECRET_KEY"] = Key, ["CIMI_AGENT_PORT"] = ports[3].ToString(), ["CIMI_AGENT_SECRET"] = Secret,
        }, ports);
        var hostId = AgentCloud.NewHostId("upgd");
        var state = Directory.CreateTempSubdirectory("cimi-agent-state-");
        var agent = AgentProcess.Start(hostId, $"http://127.0.0.1:{ports[3]}", Secret,
            new Dictionary<string, string> { ["CIMI_AGENT_STATE_DIR"] = state.FullName });
        using var client = new CimiClient(gateway.BaseAddress, "demo", "demo-upgrade");
        try
        {
            await agent.WaitConnectedAsync();

            // Stored by the old version, its spec without disks: start creates it on the host.
            var start = await client.PostAsync(Queued, new JsonObject { ["action"] = "http://schemas.dmtf.org/cimi/1/action/start" });
            Assert.True(start.Code == 202, $"starting the old Machine: {start}");
            var startJob = await client.WaitForJobAsync(start.JobUri(), TimeSpan.FromSeconds(90));
            Assert.True(startJob["state"]!.GetValue<string>() == "SUCCESS", $"the old Machine's start: {startJob}");

            // The old template by reference, its configuration overridden by one with disks.
            var created = await client.PostAsync("machines", new JsonObject
            {
                ["name"] = "with-disks",
                ["machineTemplate"] = new JsonObject
                {
                    ["href"] = client.Absolute("machineTemplates/demo"),
                    ["machineConfig"] = new JsonObject
                    {
                        ["cpu"] = 1, ["memory"] = 131072,
                        ["disks"] = new JsonArray(new JsonObject { ["capacity"] = 524288, ["format"] = "ext4", ["initialLocation"] = "/data" }),
                    },
                },
            });
            Assert.True(created.Code == 202, $"creating a Machine with disks: {created}");
            var job = await client.WaitForJobAsync(created.JobUri(), TimeSpan.FromSeconds(90));
            Assert.True(job["state"]!.GetValue<string>() == "SUCCESS", $"the create with disks: {job}");
            Assert.Equal("STARTED", (await client.GetAsync(created.Header("Location")!)).Json["state"]!.GetValue<string>());
            await Eventually.Until(() => Task.FromResult(agent.Log), log => log.Contains("does not make the configuration's 1 disks (524288 KiB)"),
                "the Docker driver to say it did not make the disk");

            foreach (var machine in new[] { client.Absolute(Queued), created.Header("Location")! })
                await client.WaitForJobAsync((await client.DeleteAsync(machine)).JobUri(), TimeSpan.FromSeconds(60));
        }
        finally
        {
            await agent.DisposeAsync();
            await DockerCli.RemoveHostContainersAsync(hostId);
            await DockerNetworks.RemoveHostNetworksAsync(hostId);
            state.Delete(recursive: true);
        }
    }

    private static async Task<string> RestoreAsync()
    {
        var postgres = await TestDatabase.CreateAsync("upgrade-disks");
        var script = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Upgrade", "Databases", Dump));
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(script, connection) { CommandTimeout = 120 };
        await command.ExecuteNonQueryAsync();
        return postgres;
    }
}
