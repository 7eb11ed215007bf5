using System.Security.Cryptography;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Images.Protocol;
using Google.Protobuf;
using Grpc.Core;

namespace CimiGrains.Agents.Images;

/// <summary>
/// Whole files to and from the cluster image store, for every kind of image a host moves (a driver's images
/// through <see cref="ImageTransfers"/>, a volume pool's VolumeImages): a download is checked against the size and
/// sha256 the store records before its file counts; an upload sends a file whose digest its header already
/// carries. A call that fails over to another controller starts its file again, so a retry never appends.
/// </summary>
public static class ImageStoreFiles
{
    private const int ChunkSize = 1 << 20;
    private const int Block = 4096;

    /// <summary>
    /// Writes the image <paramref name="request"/> names into <paramref name="path"/> (created or truncated) and returns
    /// the store's header. <paramref name="sparse"/>: blocks of zeros are seeked over, not written, so a mostly empty
    /// image stays mostly unallocated. A corrupt image is a <see cref="DriverException"/> ending with
    /// <paramref name="whenCorrupt"/> (what the caller did not do because of it); store errors stay RpcExceptions.
    /// </summary>
    public static Task<ImageHeader> DownloadAsync(this ImageStoreClient store, DownloadRequest request, string path, bool sparse,
        string whenCorrupt, CancellationToken ct) =>
        store.CallAsync(async (client, secret) =>
        {
            using var call = client.Download(request, secret, cancellationToken: ct);
            await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            ImageHeader? first = null;
            long size = 0;
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(ct))
            {
                first ??= chunk.Header ?? throw new DriverException($"The image store sent '{request.ImageLocation}' without its header.");
                hash.AppendData(chunk.Data.Span);
                if (sparse) await WriteSparseAsync(file, chunk.Data.Memory, ct);
                else await file.WriteAsync(chunk.Data.Memory, ct);
                size += chunk.Data.Length;
            }
            if (first is null) throw new DriverException($"The image store sent nothing for '{request.ImageLocation}'.");
            // Zeros skipped at the end still count: the file's length is the image's.
            if (sparse) file.SetLength(size);
            var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (digest != first.Sha256 || size != first.Size)
                throw new DriverException(
                    $"The image '{request.ImageLocation}' from the cluster image store is corrupt: it hashes to sha256 {digest} ({size} bytes), " +
                    $"but the store records sha256 {first.Sha256} ({first.Size} bytes). {whenCorrupt}");
            return first;
        });

    /// <summary>Sends the file <paramref name="path"/> (nothing may write it meanwhile) under <paramref name="header"/>,
    /// which must carry its size and sha256; returns the store's answer once it holds every byte.</summary>
    public static Task<UploadResult> UploadAsync(this ImageStoreClient store, string path, ImageHeader header, CancellationToken ct) =>
        store.CallAsync(async (client, secret) =>
        {
            using var call = client.Upload(secret, cancellationToken: ct);
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true);
            var buffer = new byte[ChunkSize];
            // The header goes with the first chunk, even an empty one (an empty image is still an image).
            var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
            await call.RequestStream.WriteAsync(new ImageChunk { Header = header, Data = ByteString.CopyFrom(buffer, 0, read) }, ct);
            while ((read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct)) > 0)
                await call.RequestStream.WriteAsync(new ImageChunk { Data = ByteString.CopyFrom(buffer, 0, read) }, ct);
            await call.RequestStream.CompleteAsync();
            return await call;
        });

    /// <summary>Writes <paramref name="data"/> at the file's position, seeking over whole blocks of zeros instead of writing them.</summary>
    private static async Task WriteSparseAsync(FileStream file, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        for (var offset = 0; offset < data.Length; offset += Block)
        {
            var block = data.Slice(offset, Math.Min(Block, data.Length - offset));
            if (block.Span.IndexOfAnyExcept((byte)0) < 0) file.Seek(block.Length, SeekOrigin.Current);
            else await file.WriteAsync(block, ct);
        }
    }
}
