using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CimiGrains.Grains.Persistence;

/// <summary>
/// Brings a PostgreSQL database up to the schema this build expects: the query catalogue and tables
/// of the Orleans ADO.NET providers (clustering, grain storage, reminders) and CimiGrains' own tables.
/// </summary>
/// <remarks>
/// The scripts are embedded resources named <c>CimiGrains.Schema.NNN_name.sql</c>. Every statement in
/// them is idempotent, so every script runs on every start, in name order: a new build thereby also
/// replaces the providers' query text. They run in one transaction that first takes a fixed
/// transaction-scoped advisory lock, so silos starting together apply them one after another and a
/// failing script leaves nothing half-applied. <c>cimi_schema_version</c> records, per script, when
/// it was last applied and the SHA-256 of its text, for operators; it does not gate anything.
/// Run this before the silo starts: the providers read their queries during silo start-up.
/// </remarks>
public sealed partial class SchemaMigrator
{
    private const string ResourcePrefix = "CimiGrains.Schema.";

    /// <summary>
    /// The advisory lock key ("CIMISCHM" in ASCII). Fixed forever: processes of different builds must
    /// contend for the same lock.
    /// </summary>
    private const long AdvisoryLockKey = 0x43494D4953434834;

    /// <summary>Long enough to wait out another silo's migration, short enough to surface a stuck lock.</summary>
    private const int LockTimeoutSeconds = 120;

    private const int ScriptTimeoutSeconds = 300;

    private SchemaMigrator()
    {
    }

    /// <summary>
    /// Applies every embedded schema script to the database, serialised against concurrent callers.
    /// </summary>
    /// <param name="connectionString">A Npgsql connection string for a role that may create tables.</param>
    /// <param name="logger">Receives progress; never the connection string.</param>
    /// <param name="ct">Cancels the migration; the transaction is then rolled back.</param>
    /// <exception cref="InvalidOperationException">The assembly holds no schema scripts (a build error).</exception>
    public static async Task MigrateAsync(string connectionString, ILogger logger, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);

        var scripts = LoadScripts();
        var stopwatch = Stopwatch.StartNew();

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);

        // Taken first, so every later statement runs after any concurrent migrator has committed and
        // sees its work: CREATE ... IF NOT EXISTS alone is not safe against a concurrent CREATE.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.CommandTimeout = LockTimeoutSeconds;
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKey });
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS cimi_schema_version
            (
                script  text        PRIMARY KEY,
                applied timestamptz NOT NULL,
                sha256  text        NOT NULL
            )
            """, ct);

        foreach (var script in scripts)
        {
            await ExecuteAsync(connection, transaction, script.Text, ct);

            await using var record = new NpgsqlCommand("""
                INSERT INTO cimi_schema_version (script, applied, sha256) VALUES ($1, now(), $2)
                ON CONFLICT (script) DO UPDATE SET applied = EXCLUDED.applied, sha256 = EXCLUDED.sha256
                """, connection, transaction);
            record.Parameters.Add(new NpgsqlParameter { Value = script.Name });
            record.Parameters.Add(new NpgsqlParameter { Value = script.Sha256 });
            await record.ExecuteNonQueryAsync(ct);

            LogScriptApplied(logger, script.Name, script.Sha256);
        }

        await transaction.CommitAsync(ct);
        LogMigrated(logger, scripts.Count, stopwatch.ElapsedMilliseconds);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = ScriptTimeoutSeconds };
        await command.ExecuteNonQueryAsync(ct);
    }

    private static List<SchemaScript> LoadScripts()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal)
                && name.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name => ReadScript(assembly, name))
            .ToList();

        // An empty list means the EmbeddedResource item is missing from the build; starting a silo
        // against an unmigrated database would only fail later and less clearly.
        return scripts.Count > 0
            ? scripts
            : throw new InvalidOperationException(
                $"No embedded schema scripts named '{ResourcePrefix}*.sql' in {assembly.GetName().Name}.");
    }

    private static SchemaScript ReadScript(Assembly assembly, string resourceName)
    {
        using var stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"Embedded resource '{resourceName}' cannot be opened.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.ToArray();
        using var reader = new StreamReader(new MemoryStream(bytes), detectEncodingFromByteOrderMarks: true);
        return new SchemaScript(
            resourceName[ResourcePrefix.Length..],
            reader.ReadToEnd(),
            Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private sealed record SchemaScript(string Name, string Text, string Sha256);
}
