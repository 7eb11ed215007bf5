using System.Security.Cryptography;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.Hosting;
using CimiGrains.Grains.Persistence;
using CimiGrains.Grains.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.TestingHost;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// Two in-process silos (Orleans.TestingHost) with in-memory grain storage and reminders, and the
/// read model on a real PostgreSQL database, for tests of grain behaviour without HTTP. The silos are
/// wired by the same <c>AddCimiGrains</c> as the Gateway's, secrets sealed under a key of this run.
/// </summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    private static readonly SecretKeyRing TestSecretKeys = new(RandomNumberGenerator.GetBytes(32));

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        var postgres = await TestDatabase.CreateAsync("grains");
        await SchemaMigrator.MigrateAsync(postgres, NullLogger.Instance);
        DataSource = NpgsqlDataSource.Create(postgres);
        var dataSource = DataSource;
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            // Storage and reminders are the host's choice (memory here); everything else is the grains' own wiring.
            silo.AddMemoryGrainStorage("cimi");
            silo.UseInMemoryReminderService();
            // The tests' clock and event recorder, registered before the grains' wiring so that it keeps them.
            silo.Services.AddKeyedSingleton<TimeProvider>(HostedResourceServices.ClockKey, TestClock.Instance);
            silo.Services.AddSingleton<IDomainEventSink, RecordedDomainEvents>();
            silo.Services.AddSingleton<CimiGrains.Grains.Events.IEventJournal, RecordedJournalEvents>();
            silo.AddCimiGrains(new CimiGrainsOptions
            {
                SecretKeys = TestSecretKeys,
                ReadModelDataSource = dataSource,
                // These silos never have hosts: a create fails at once rather than after the reconnect grace.
                HostReconnectGrace = TimeSpan.Zero,
            });
            silo.AddIncomingGrainCallFilter(context =>
            {
                JobFinishFaults.Check(context);
                NestedJobNoticeFaults.Check(context);
                NestedJobReads.Check(context);
                return HostNetworkViews.Intercept(context) ? Task.CompletedTask : context.Invoke();
            });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await DataSource.DisposeAsync();
    }

    /// <summary>A tenant id no other test uses.</summary>
    public static string NewTenant() => "g" + Guid.NewGuid().ToString("N")[..12];
}

[CollectionDefinition(Name)]
public sealed class GrainClusterCollection : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain-cluster";
}
