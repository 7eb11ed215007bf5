using CimiGrains.Grains.Images;

namespace CimiGrains.Gateway.Images;

/// <summary>
/// A read-only stream over a request body that hands every byte read through it to an upload, so a
/// format reader (a tar reader) can inspect the file as it streams into the store, reading it once.
/// </summary>
public sealed class ImageTeeStream(Stream source, ImageUpload upload) : Stream
{
    public long Total { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Total; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await source.ReadAsync(buffer, cancellationToken);
        if (read > 0)
        {
            await upload.WriteAsync(buffer[..read], cancellationToken);
            Total += read;
        }
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Readers of this stream are asynchronous; a synchronous read would block a request thread on the database.
    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("Read the image stream asynchronously.");

    /// <summary>Reads (and so uploads) whatever the format reader left unread.</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        var buffer = new byte[ImageStoreDatabase.ChunkSize];
        while (await ReadAsync(buffer, ct) > 0)
        {
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
