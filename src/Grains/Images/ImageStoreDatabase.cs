using Npgsql;

namespace CimiGrains.Grains.Images;

/// <summary>
/// The cluster image store's tables (schema 008, docs/IMAGES.md) through Npgsql: the gateway streams bytes
/// in and out with it, and grains use it to reclaim the bytes of deleted images. Bytes never pass through
/// a grain. Every read of content is one chunk (at most <see cref="ChunkSize"/>) per query.
/// </summary>
public sealed class ImageStoreDatabase(NpgsqlDataSource dataSource)
{
    /// <summary>The size of a stored chunk: large enough that per-row overhead is negligible, small enough
    /// that a reader or writer holds one at a time without caring about memory.</summary>
    public const int ChunkSize = 1 << 20;

    /// <summary>How long an upload may go without finishing before the sweep takes its chunks.</summary>
    public static readonly TimeSpan AbandonedUploadAge = TimeSpan.FromHours(6);

    private const string Columns = "location, driver, kind, format, owner_tenant, sha256, size_bytes, blob_id, created";

    public async Task<StoredImage?> GetAsync(string location, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM cimi_image WHERE location = $1");
        cmd.Parameters.Add(new() { Value = location });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>Every stored image, in location order.</summary>
    public async Task<IReadOnlyList<StoredImage>> ListAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM cimi_image ORDER BY location");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var all = new List<StoredImage>();
        while (await reader.ReadAsync(ct)) all.Add(Read(reader));
        return all;
    }

    /// <summary>Whether <paramref name="location"/> is an operator-registered image (public to every tenant).</summary>
    public async Task<bool> IsRegisteredAsync(string location, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT 1 FROM cimi_image WHERE location = $1 AND kind = 'registered'");
        cmd.Parameters.Add(new() { Value = location });
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>Starts writing an image's bytes; recorded as in progress first, so a crash leaves a row the sweep finds.</summary>
    public async Task<ImageUpload> BeginUploadAsync(string location, long maxBytes, CancellationToken ct)
    {
        var blobId = Guid.NewGuid();
        await using var cmd = dataSource.CreateCommand("INSERT INTO cimi_image_upload (blob_id, location) VALUES ($1, $2)");
        cmd.Parameters.Add(new() { Value = blobId });
        cmd.Parameters.Add(new() { Value = location });
        await cmd.ExecuteNonQueryAsync(ct);
        return new ImageUpload(dataSource, location, blobId, maxBytes);
    }

    /// <summary>Chunk <paramref name="seq"/> of a blob, or null when there is none (the end, or the image was
    /// replaced or deleted meanwhile: the caller compares what it has read with the size).</summary>
    public async Task<byte[]?> ReadChunkAsync(Guid blobId, int seq, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT data FROM cimi_image_chunk WHERE blob_id = $1 AND seq = $2");
        cmd.Parameters.Add(new() { Value = blobId });
        cmd.Parameters.Add(new() { Value = seq });
        return await cmd.ExecuteScalarAsync(ct) as byte[];
    }

    /// <summary>
    /// Deletes the image and its bytes in one transaction; with <paramref name="kind"/> and
    /// <paramref name="ownerTenant"/> only when the row is of that kind and owner. Returns whether a row went.
    /// </summary>
    public async Task<bool> DeleteAsync(string location, string kind, string? ownerTenant, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand(
            "DELETE FROM cimi_image WHERE location = $1 AND kind = $2 AND owner_tenant IS NOT DISTINCT FROM $3 RETURNING blob_id", connection, tx);
        cmd.Parameters.Add(new() { Value = location });
        cmd.Parameters.Add(new() { Value = kind });
        cmd.Parameters.Add(new() { Value = (object?)ownerTenant ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        if (await cmd.ExecuteScalarAsync(ct) is not Guid blobId)
        {
            await tx.RollbackAsync(ct);
            return false;
        }
        await DeleteChunksAsync(connection, tx, blobId, ct);
        await using (var holders = new NpgsqlCommand("DELETE FROM cimi_image_holder WHERE location = $1", connection, tx))
        {
            holders.Parameters.Add(new() { Value = location });
            await holders.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>Records that <paramref name="hostId"/> fetched the image (before it has it: a deletion must
    /// reach a host that may hold a copy).</summary>
    public async Task AddHolderAsync(string location, string hostId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "INSERT INTO cimi_image_holder (location, host_id) VALUES ($1, $2) ON CONFLICT (location, host_id) DO UPDATE SET fetched = now()");
        cmd.Parameters.Add(new() { Value = location });
        cmd.Parameters.Add(new() { Value = hostId });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<string>> HoldersAsync(string location, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT host_id FROM cimi_image_holder WHERE location = $1 ORDER BY host_id");
        cmd.Parameters.Add(new() { Value = location });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var hosts = new List<string>();
        while (await reader.ReadAsync(ct)) hosts.Add(reader.GetString(0));
        return hosts;
    }

    /// <summary>
    /// The ids of MachineImages (of <paramref name="tenantId"/>, or of any tenant when null) whose
    /// imageLocation is one of <paramref name="spellings"/>, read from the read model.
    /// </summary>
    public Task<IReadOnlyList<string>> MachineImagesNamingAsync(string? tenantId, IReadOnlyList<string> spellings, CancellationToken ct) =>
        ResourcesNamingAsync("MachineImage", tenantId, spellings, ct);

    /// <summary>The same for resources of <paramref name="kind"/> (MachineImage or VolumeImage).</summary>
    public async Task<IReadOnlyList<string>> ResourcesNamingAsync(string kind, string? tenantId, IReadOnlyList<string> spellings, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT tenant_id || ' ' || id FROM cimi_resource
            WHERE kind = $3 AND ($1::text IS NULL OR tenant_id = $1) AND btrim(doc->>'imageLocation') = ANY($2)
            ORDER BY 1 LIMIT 20
            """);
        cmd.Parameters.Add(new() { Value = (object?)tenantId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new() { Value = spellings.ToArray() });
        cmd.Parameters.Add(new() { Value = kind });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var ids = new List<string>();
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetString(0));
        return ids;
    }

    /// <summary>Deletes the chunks of uploads that never finished and are older than <paramref name="age"/>.</summary>
    public async Task<int> SweepAsync(TimeSpan age, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var cmd = new NpgsqlCommand("DELETE FROM cimi_image_upload WHERE started < now() - $1 RETURNING blob_id", connection, tx);
        cmd.Parameters.Add(new() { Value = age });
        var blobs = new List<Guid>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) blobs.Add(reader.GetGuid(0));
        foreach (var blob in blobs) await DeleteChunksAsync(connection, tx, blob, ct);
        await tx.CommitAsync(ct);
        return blobs.Count;
    }

    internal static async Task DeleteChunksAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid blobId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("DELETE FROM cimi_image_chunk WHERE blob_id = $1", connection, tx);
        cmd.Parameters.Add(new() { Value = blobId });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static StoredImage Read(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
        r.GetString(5), r.GetInt64(6), r.GetGuid(7), r.GetFieldValue<DateTimeOffset>(8));
}
