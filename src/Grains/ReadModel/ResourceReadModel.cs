using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace CimiGrains.Grains.ReadModel;

/// <summary>
/// The queryable copy of every resource in PostgreSQL (<c>cimi_resource</c>): one row per resource,
/// the public document as jsonb. Grains write it after their own state is durable; collection reads
/// page it, so listing never activates a grain per item. A row never holds a secret.
/// </summary>
public sealed class ResourceReadModel(NpgsqlDataSource dataSource)
{
    public async Task UpsertAsync(string tenantId, ResourceKind kind, CimiResource resource, string? state)
    {
        ArgumentNullException.ThrowIfNull(resource.Id);
        var json = JsonSerializer.Serialize(resource, resource.GetType(), CimiJson.Options);
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO cimi_resource (tenant_id, kind, id, name, state, created, updated, doc)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (tenant_id, kind, id) DO UPDATE
            SET name = EXCLUDED.name, state = EXCLUDED.state, updated = EXCLUDED.updated, doc = EXCLUDED.doc
            """);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = kind.TypeName });
        cmd.Parameters.Add(new() { Value = resource.Id });
        cmd.Parameters.Add(new() { Value = (object?)resource.Name ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (object?)state ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = (resource.Created ?? DateTimeOffset.UtcNow).ToUniversalTime() });
        cmd.Parameters.Add(new() { Value = (resource.Updated ?? resource.Created ?? DateTimeOffset.UtcNow).ToUniversalTime() });
        cmd.Parameters.Add(new() { Value = json, NpgsqlDbType = NpgsqlDbType.Jsonb });
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task DeleteAsync(string tenantId, ResourceKind kind, string id)
    {
        await using var cmd = dataSource.CreateCommand(
            "DELETE FROM cimi_resource WHERE tenant_id = $1 AND kind = $2 AND id = $3");
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = kind.TypeName });
        cmd.Parameters.Add(new() { Value = id });
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// One page of a tenant's collection in creation order, and the total count.
    /// <paramref name="first"/> and <paramref name="last"/> are 1-based and inclusive, as CIMI's
    /// <c>$first</c>/<c>$last</c> are.
    /// </summary>
    public async Task<ResourcePage> PageAsync(string tenantId, ResourceKind kind, int first, int last, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new("SELECT count(*) FROM cimi_resource WHERE tenant_id = $1 AND kind = $2")
                {
                    Parameters = { new() { Value = tenantId }, new() { Value = kind.TypeName } },
                },
                new("""
                    SELECT doc::text FROM cimi_resource WHERE tenant_id = $1 AND kind = $2
                    ORDER BY created, id OFFSET $3 LIMIT $4
                    """)
                {
                    Parameters =
                    {
                        new() { Value = tenantId }, new() { Value = kind.TypeName },
                        new() { Value = (long)(first - 1) }, new() { Value = (long)Math.Max(0, last - first + 1) },
                    },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var count = reader.GetInt64(0);
        await reader.NextResultAsync(ct);
        var docs = new List<string>();
        while (await reader.ReadAsync(ct)) docs.Add(reader.GetString(0));
        return new ResourcePage(count, docs);
    }
}

/// <summary>A page of documents (JSON text, relative ids) and the collection's total count.</summary>
public sealed record ResourcePage(long Count, IReadOnlyList<string> Documents);
