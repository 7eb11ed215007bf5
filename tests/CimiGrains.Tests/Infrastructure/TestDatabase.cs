using Npgsql;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>A fresh, empty database on the test PostgreSQL server, so test classes never share state.</summary>
public static class TestDatabase
{
    public static async Task<string> CreateAsync(string purpose)
    {
        var name = $"cg_{purpose.ToLowerInvariant()}_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(TestEnvironment.PostgresAdmin))
        {
            await connection.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresAdmin) { Database = name, MaxPoolSize = 50 }.ConnectionString;
    }
}
