using System.Buffers;
using System.Security.Cryptography;
using Npgsql;

namespace CimiGrains.Grains.Images;

/// <summary>
/// One image's bytes on their way into the store: written chunk by chunk (each its own statement, never
/// one transaction of gigabytes), hashed as they pass, and named by the image only by
/// <see cref="CompleteAsync"/>. Disposed before completing, it deletes what it wrote; if its process dies
/// instead, <see cref="ImageStoreDatabase.SweepAsync"/> does.
/// </summary>
public sealed class ImageUpload : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(ImageStoreDatabase.ChunkSize);
    private readonly long _maxBytes;
    private int _filled;
    private int _seq;
    private bool _completed;

    internal ImageUpload(NpgsqlDataSource dataSource, string location, Guid blobId, long maxBytes)
    {
        _dataSource = dataSource;
        Location = location;
        BlobId = blobId;
        _maxBytes = maxBytes;
    }

    public string Location { get; }

    public Guid BlobId { get; }

    /// <summary>Bytes written so far.</summary>
    public long Size { get; private set; }

    /// <summary>Adds bytes; throws <see cref="ImageTooLargeException"/> past the size limit.</summary>
    public async Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (Size + data.Length > _maxBytes) throw new ImageTooLargeException(_maxBytes);
        Size += data.Length;
        _hash.AppendData(data.Span);
        while (data.Length > 0)
        {
            var take = Math.Min(data.Length, ImageStoreDatabase.ChunkSize - _filled);
            data[..take].CopyTo(_buffer.AsMemory(_filled));
            _filled += take;
            data = data[take..];
            if (_filled == ImageStoreDatabase.ChunkSize) await FlushAsync(ct);
        }
    }

    /// <summary>The sha256 (lower-case hex) of everything written; only once, at completion.</summary>
    private string Digest() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    /// <summary>
    /// Names the written bytes as the image at <see cref="Location"/>, replacing (and deleting the chunks
    /// of) what was stored there before, all in one transaction. <paramref name="expectedSha256"/>, when
    /// given, must equal what arrived: the sender's own hash guards the bytes on their way.
    /// </summary>
    public async Task<StoredImage> CompleteAsync(
        string driver, string kind, string format, string? ownerTenant, string? expectedSha256, CancellationToken ct)
    {
        if (_filled > 0) await FlushAsync(ct);
        var sha256 = Digest();
        if (expectedSha256 is { Length: > 0 } expected && !string.Equals(expected, sha256, StringComparison.OrdinalIgnoreCase))
            throw new ImageDigestException($"The image for '{Location}' arrived with sha256 {sha256}, but its sender hashed it as {expected}: nothing was stored.");
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        Guid? previous = null;
        await using (var old = new NpgsqlCommand("SELECT blob_id FROM cimi_image WHERE location = $1 FOR UPDATE", connection, tx))
        {
            old.Parameters.Add(new() { Value = Location });
            if (await old.ExecuteScalarAsync(ct) is Guid g) previous = g;
        }
        var created = DateTimeOffset.UtcNow;
        await using (var upsert = new NpgsqlCommand("""
            INSERT INTO cimi_image (location, driver, kind, format, owner_tenant, sha256, size_bytes, blob_id, created)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (location) DO UPDATE SET driver = EXCLUDED.driver, kind = EXCLUDED.kind, format = EXCLUDED.format,
                owner_tenant = EXCLUDED.owner_tenant, sha256 = EXCLUDED.sha256, size_bytes = EXCLUDED.size_bytes,
                blob_id = EXCLUDED.blob_id, created = EXCLUDED.created
            """, connection, tx))
        {
            upsert.Parameters.Add(new() { Value = Location });
            upsert.Parameters.Add(new() { Value = driver });
            upsert.Parameters.Add(new() { Value = kind });
            upsert.Parameters.Add(new() { Value = format });
            upsert.Parameters.Add(new() { Value = (object?)ownerTenant ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            upsert.Parameters.Add(new() { Value = sha256 });
            upsert.Parameters.Add(new() { Value = Size });
            upsert.Parameters.Add(new() { Value = BlobId });
            upsert.Parameters.Add(new() { Value = created });
            await upsert.ExecuteNonQueryAsync(ct);
        }
        await using (var done = new NpgsqlCommand("DELETE FROM cimi_image_upload WHERE blob_id = $1", connection, tx))
        {
            done.Parameters.Add(new() { Value = BlobId });
            await done.ExecuteNonQueryAsync(ct);
        }
        if (previous is { } p && p != BlobId) await ImageStoreDatabase.DeleteChunksAsync(connection, tx, p, ct);
        await tx.CommitAsync(ct);
        _completed = true;
        return new StoredImage(Location, driver, kind, format, ownerTenant, sha256, Size, BlobId, created);
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        await using var insert = _dataSource.CreateCommand("INSERT INTO cimi_image_chunk (blob_id, seq, data) VALUES ($1, $2, $3)");
        insert.Parameters.Add(new() { Value = BlobId });
        insert.Parameters.Add(new() { Value = _seq });
        insert.Parameters.Add(new() { Value = new ArraySegment<byte>(_buffer, 0, _filled), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
        await insert.ExecuteNonQueryAsync(ct);
        _seq++;
        _filled = 0;
    }

    public async ValueTask DisposeAsync()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _hash.Dispose();
        if (_completed) return;
        try
        {
            // Best effort: the database may be the reason the upload failed; the sweep catches the rest.
            await using var connection = await _dataSource.OpenConnectionAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await ImageStoreDatabase.DeleteChunksAsync(connection, tx, BlobId, CancellationToken.None);
            await using var upload = new NpgsqlCommand("DELETE FROM cimi_image_upload WHERE blob_id = $1", connection, tx);
            upload.Parameters.Add(new() { Value = BlobId });
            await upload.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }
        catch (NpgsqlException)
        {
        }
    }
}
