using CimiGrains.Grains.Persistence;
using CimiGrains.Grains.ReadModel;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CimiGrains.Tests.ReadModel;

/// <summary>Tests of the read model against a database of their own, migrated to the current schema.</summary>
public abstract class ReadModelDatabaseTests(string purpose) : IAsyncLifetime
{
    protected string Postgres { get; private set; } = null!;
    protected NpgsqlDataSource DataSource { get; private set; } = null!;
    protected ResourceReadModel ReadModel { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Postgres = await TestDatabase.CreateAsync(purpose);
        await SchemaMigrator.MigrateAsync(Postgres, NullLogger.Instance);
        DataSource = NpgsqlDataSource.Create(Postgres);
        ReadModel = new ResourceReadModel(DataSource);
    }

    public async Task DisposeAsync() => await DataSource.DisposeAsync();
}
