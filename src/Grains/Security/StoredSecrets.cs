using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Npgsql;

namespace CimiGrains.Grains.Security;

/// <summary>
/// The secrets in grain storage, for key rotation: how many sealed values each key id holds and how many
/// secrets are still in plaintext (<see cref="ReportAsync"/>), and the bulk re-seal that moves every row
/// off old keys (<see cref="ResealAsync"/>). The table is streamed by one query, never held whole; a row is
/// rewritten only by its own grain (<see cref="ISecretHolderGrain"/>), so no activation's ETag goes stale.
/// </summary>
public sealed class StoredSecrets(string connectionString, string serviceId, SecretKeyRing keys)
{
    public const int Parallelism = 4;

    /// <summary>What one pass found.</summary>
    public sealed record Report(string CurrentKeyId, IReadOnlyDictionary<string, int> SealedByKeyId, int Plaintext, int RowsToReseal);

    /// <summary>A row that could not be re-sealed, and why.</summary>
    public sealed record Failure(string StateName, string? GrainKey, string Reason);

    public sealed record ResealResult(int Rewritten, IReadOnlyList<Failure> Failed, bool Truncated, Report Remaining);

    /// <summary>The JSON names of every <see cref="SecretAtRestAttribute"/> property (the storage serializer keeps .NET names).</summary>
    private static readonly HashSet<string> SecretNames = typeof(SecretAtRestAttribute).Assembly.GetTypes()
        .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        .Where(p => p.IsDefined(typeof(SecretAtRestAttribute), inherit: true))
        .Select(p => p.Name)
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>State name → the grain class that owns it, from the <c>[PersistentState]</c> constructor parameters.</summary>
    private static readonly Dictionary<string, Type> GrainsByStateName = typeof(StoredSecrets).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IGrain).IsAssignableFrom(t))
        .SelectMany(t => t.GetConstructors().SelectMany(c => c.GetParameters())
            .Select(p => (Grain: t, State: p.GetCustomAttribute<PersistentStateAttribute>())))
        .Where(x => x.State is not null)
        .GroupBy(x => x.State!.StateName, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.First().Grain, StringComparer.Ordinal);

    public async Task<Report> ReportAsync(CancellationToken ct)
    {
        var sealedByKey = new Dictionary<string, int>(StringComparer.Ordinal);
        int plaintext = 0, rows = 0;
        await foreach (var row in RowsAsync(ct))
        {
            foreach (var (keyId, count) in row.SealedByKeyId) sealedByKey[keyId] = sealedByKey.GetValueOrDefault(keyId) + count;
            plaintext += row.Plaintext;
            if (NeedsReseal(row)) rows++;
        }
        return new Report(keys.CurrentId, sealedByKey, plaintext, rows);
    }

    /// <summary>
    /// Asks the grain of every row that holds a value under a non-current key or a plaintext secret to write
    /// its state again, <see cref="Parallelism"/> at a time, at most <paramref name="limit"/> rows per call
    /// (<c>Truncated</c> then says to call again). Idempotent: a row already under the current key is left alone.
    /// </summary>
    public async Task<ResealResult> ResealAsync(IGrainFactory grains, int limit, CancellationToken ct)
    {
        var failed = new ConcurrentBag<Failure>();
        var rewritten = 0;
        var seen = 0;
        var truncated = false;
        using var slots = new SemaphoreSlim(Parallelism);
        var running = new List<Task>();
        await foreach (var row in RowsAsync(ct))
        {
            if (!NeedsReseal(row)) continue;
            if (seen++ == limit)
            {
                truncated = true;
                break;
            }
            await slots.WaitAsync(ct);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    if (await ResealRowAsync(grains, row) is { } reason) failed.Add(new Failure(row.StateName, row.GrainKey, reason));
                    else Interlocked.Increment(ref rewritten);
                }
                finally
                {
                    slots.Release();
                }
            }, ct));
        }
        await Task.WhenAll(running);
        return new ResealResult(rewritten, failed.OrderBy(f => f.StateName).ThenBy(f => f.GrainKey).ToList(), truncated, await ReportAsync(ct));
    }

    private bool NeedsReseal(Row row) => row.Plaintext > 0 || row.SealedByKeyId.Keys.Any(id => id != keys.CurrentId);

    /// <summary>Null when the grain wrote its state again; else why not (reported, never skipped silently).</summary>
    private static async Task<string?> ResealRowAsync(IGrainFactory grains, Row row)
    {
        if (!GrainsByStateName.TryGetValue(row.StateName, out var grainClass))
            return $"no grain keeps a state named '{row.StateName}'";
        if (!typeof(ISecretHolderGrain).IsAssignableFrom(grainClass))
            return $"{grainClass.Name} cannot re-seal its state";
        if (row.GrainKey is null) return $"{grainClass.Name}'s row has no string key";
        try
        {
            return await grains.GetGrain<ISecretHolderGrain>(row.GrainKey, grainClass.FullName).Reseal()
                ? null
                : $"{grainClass.Name} '{row.GrainKey}' has no stored state";
        }
        catch (Exception e)
        {
            return $"{grainClass.Name} '{row.GrainKey}': {e.GetType().Name}: {e.Message}";
        }
    }

    private sealed record Row(string StateName, string? GrainKey, Dictionary<string, int> SealedByKeyId, int Plaintext);

    /// <summary>
    /// Every stored row of this service, streamed by one query: Npgsql hands rows over as they arrive, so the table
    /// is never held in memory, and it is read once (keyset pages ordered by the grain key would each sort the whole
    /// table, since the key's nullable last column keeps PostgreSQL off the unique index).
    /// </summary>
    private async IAsyncEnumerable<Row> RowsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT graintypestring, grainidextensionstring, payloadbinary FROM orleansstorage " +
            "WHERE serviceid = @service AND payloadbinary IS NOT NULL", connection);
        cmd.Parameters.AddWithValue("service", serviceId);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var key = reader.IsDBNull(1) ? null : reader.GetString(1);
            var row = new Row(reader.GetString(0), string.IsNullOrEmpty(key) ? null : key, new Dictionary<string, int>(StringComparer.Ordinal), 0);
            yield return Count(row, (byte[])reader[2]);
        }
    }

    /// <summary>Counts the sealed values by key id and the secret-named strings that are not sealed.</summary>
    private static Row Count(Row row, byte[] payload)
    {
        var plaintext = 0;
        var reader = new Utf8JsonReader(payload);
        string? property = null;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    property = reader.GetString();
                    continue;
                case JsonTokenType.String:
                    var value = reader.GetString()!;
                    if (SecretProtector.KeyIdOf(value) is { } keyId) row.SealedByKeyId[keyId] = row.SealedByKeyId.GetValueOrDefault(keyId) + 1;
                    else if (property is not null && SecretNames.Contains(property) && value.Length > 0) plaintext++;
                    break;
            }
            property = null;
        }
        return row with { Plaintext = plaintext };
    }
}
