using System.Security.Cryptography;
using CimiGrains.Grains.Hosting;
using CimiGrains.Grains.Persistence;
using CimiGrains.Grains.Security;
using CimiGrains.Networks;
using CimiGrains.Tests.Grains.Networks;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.TestingHost;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// A Network's leases are in its grain state on PostgreSQL before they are answered: a cluster started anew on the
/// same database (every silo gone, as after a crash of the control plane) answers the same leases and hands out none twice.
/// </summary>
public sealed class NetworkLeaseDurabilityTests
{
    private static readonly SecretKeyRing Keys = new(RandomNumberGenerator.GetBytes(32));

    private static readonly string ServiceId = "leases-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Leases_survive_a_restart_of_every_silo_and_are_not_handed_out_again()
    {
        var postgres = await TestDatabase.CreateAsync("leases");
        await SchemaMigrator.MigrateAsync(postgres, NullLogger.Instance);
        await using var dataSource = NpgsqlDataSource.Create(postgres);
        var tenant = GrainClusterFixture.NewTenant();
        var key = GrainKeys.Of(tenant, "durable");
        NetworkInterfaceLease[] before;

        await using (var first = await StartAsync(postgres, dataSource))
        {
            var network = first.Client.GetGrain<INetworkGrain>(key);
            await network.Create(NetworkFixtures.ByValue("10.77.0.0/24"));
            before = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
                network.Lease(NetworkFixtures.Machine(tenant, $"m{i}"), "eth0", NetworkFixtures.Dynamic)));
            await network.Lease(NetworkFixtures.Machine(tenant, "static"), "eth0", NetworkFixtures.Static("10.77.0.200"));
            await network.Bind(NetworkFixtures.Machine(tenant, "m0"), "eth0", "host-a");
        }

        await using var second = await StartAsync(postgres, dataSource);
        var again = second.Client.GetGrain<INetworkGrain>(key);
        for (var i = 0; i < before.Length; i++)
        {
            var repeated = await again.Lease(NetworkFixtures.Machine(tenant, $"m{i}"), "eth0", NetworkFixtures.Dynamic);
            Assert.Equal((before[i].Mac, before[i].Addresses[0], before[i].NetworkPortKey), (repeated.Mac, repeated.Addresses[0], repeated.NetworkPortKey));
        }
        var fresh = await again.Lease(NetworkFixtures.Machine(tenant, "new"), "eth0", NetworkFixtures.Dynamic);
        Assert.DoesNotContain(fresh.Addresses[0], before.Select(l => l.Addresses[0]));
        Assert.Equal("10.77.0.22/24", fresh.Addresses[0]);
        var taken = await Assert.ThrowsAsync<CimiException>(() =>
            again.Lease(NetworkFixtures.Machine(tenant, "late"), "eth0", NetworkFixtures.Static("10.77.0.200")));
        Assert.Equal(CimiErrorKind.Conflict, taken.Kind);
        Assert.Equal(before[0].Addresses[0].Split('/')[0], (await second.Client.GetGrain<IAddressGrain>(before[0].AddressKeys[0]).Get()).Ip);
        // The VNI is held across the restart too: another Network gets another.
        var other = second.Client.GetGrain<INetworkGrain>(GrainKeys.Of(tenant, "other"));
        Assert.NotEqual(before[0].Vni, (uint)(await other.Create(NetworkFixtures.ByValue("10.78.0.0/24"))).Vni!.Value);
    }

    /// <summary>One silo with grain storage and reminders on PostgreSQL, wired as the Gateway's silo is.</summary>
    private static async Task<InProcessTestCluster> StartAsync(string postgres, NpgsqlDataSource dataSource)
    {
        var builder = new InProcessTestClusterBuilder(1);
        // Grain state rows are keyed by the service id: the cluster started again must be the same service.
        builder.Options.ServiceId = ServiceId;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAdoNetGrainStorage("cimi", o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = postgres;
            });
            silo.UseInMemoryReminderService();
            silo.AddCimiGrains(new CimiGrainsOptions { SecretKeys = Keys, ReadModelDataSource = dataSource, HostReconnectGrace = TimeSpan.Zero });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
