using CimiGrains.Grains.Persistence;
using CimiGrains.Grains.ReadModel;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>
/// A database of its own, migrated to the current schema, with the read model over it: the base of
/// read-model test classes (one database per test) and of shared fixtures (one per class).
/// </summary>
public abstract class ReadModelDatabase(string purpose) : IAsyncLifetime
{
    public string Postgres { get; private set; } = null!;
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public ResourceReadModel ReadModel { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Postgres = await TestDatabase.CreateAsync(purpose);
        await SchemaMigrator.MigrateAsync(Postgres, NullLogger.Instance);
        DataSource = NpgsqlDataSource.Create(Postgres);
        ReadModel = new ResourceReadModel(DataSource);
    }

    public async Task DisposeAsync() => await DataSource.DisposeAsync();
}
