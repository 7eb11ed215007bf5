using System.Security.Cryptography;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Images;
using CimiGrains.Agents.Images.Protocol;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Volumes;

/// <summary>
/// VolumeImages between this host's pool and the cluster image store (docs/IMAGES.md), under <c>volume:</c>
/// image locations: a Volume made from an image is fetched straight into its file (sparsely: blocks of zeros
/// are skipped, so a mostly empty image stays mostly unwritten) and verified against the store's sha256
/// before it counts; a capture sends the Volume's file as it is.
/// </summary>
public sealed partial class VolumeImageTransfers(ImageStoreClient store, AgentOptions options, ILogger<VolumeImageTransfers> logger)
{
    public const string Scheme = "volume:";
    private const int ChunkSize = 1 << 20;
    private const int Block = 4096;

    /// <summary>Checks that <paramref name="imageLocation"/> is a VolumeImage's location (<c>volume:REFERENCE</c>).</summary>
    public static string Check(string imageLocation)
    {
        var location = imageLocation.Trim();
        if (!location.StartsWith(Scheme, StringComparison.Ordinal) || location.Length == Scheme.Length || location.Length > 2048)
            throw new DriverException($"'{imageLocation}' is not a VolumeImage's location: write volume:REFERENCE.");
        return location;
    }

    /// <summary>Writes the image's bytes into <paramref name="path"/> (created), checking size and sha256 against the store's header.</summary>
    public async Task DownloadAsync(string imageLocation, string tenantId, string path, CancellationToken ct)
    {
        var location = Check(imageLocation);
        try
        {
            var header = await store.CallAsync(async (client, secret) =>
            {
                using var call = client.Download(new DownloadRequest { ImageLocation = location, TenantId = tenantId, HostId = options.HostId },
                    secret, cancellationToken: ct);
                // A retry against another controller starts the file again.
                await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                ImageHeader? first = null;
                long size = 0;
                await foreach (var chunk in call.ResponseStream.ReadAllAsync(ct))
                {
                    first ??= chunk.Header ?? throw new DriverException($"The image store sent '{location}' without its header.");
                    hash.AppendData(chunk.Data.Span);
                    await WriteSparseAsync(file, chunk.Data.Memory, ct);
                    size += chunk.Data.Length;
                }
                if (first is null) throw new DriverException($"The image store sent nothing for '{location}'.");
                // Skipped zeros at the end still count: the length is the image's.
                file.SetLength(size);
                var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (digest != first.Sha256 || size != first.Size)
                    throw new DriverException(
                        $"The image '{location}' from the cluster image store is corrupt: it hashes to sha256 {digest} ({size} bytes), " +
                        $"but the store records sha256 {first.Sha256} ({first.Size} bytes). No Volume was made from it.");
                return first;
            });
            LogFetched(location, header.Size, header.Sha256);
        }
        catch (RpcException e)
        {
            throw new DriverException(e.StatusCode == StatusCode.NotFound
                ? $"The VolumeImage '{location}' is not in the cluster image store."
                : $"Fetching the VolumeImage '{location}' from the cluster image store failed: {e.Status.Detail} ({e.StatusCode}).", e);
        }
    }

    /// <summary>Stores the file <paramref name="path"/> (a Volume nothing can write to now) under <paramref name="imageLocation"/>;
    /// returns the location the store recorded, once it holds every byte.</summary>
    public async Task<string> UploadAsync(string path, string format, string imageLocation, CancellationToken ct)
    {
        var location = Check(imageLocation);
        string sha256;
        long size;
        // Hashed first: the upload's header carries the digest, and a retry to another controller sends the same bytes.
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true))
        {
            sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
            size = file.Length;
        }
        try
        {
            var result = await store.CallAsync(async (client, secret) =>
            {
                using var call = client.Upload(secret, cancellationToken: ct);
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true);
                var buffer = new byte[ChunkSize];
                var read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct);
                await call.RequestStream.WriteAsync(new ImageChunk
                {
                    Header = new ImageHeader { ImageLocation = location, Sha256 = sha256, Size = size, HostId = options.HostId, Format = format },
                    Data = ByteString.CopyFrom(buffer, 0, read),
                }, ct);
                while ((read = await file.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, ct)) > 0)
                    await call.RequestStream.WriteAsync(new ImageChunk { Data = ByteString.CopyFrom(buffer, 0, read) }, ct);
                await call.RequestStream.CompleteAsync();
                return await call;
            });
            LogStored(location, result.Size, result.Sha256);
            return result.ImageLocation.Length > 0 ? result.ImageLocation : location;
        }
        catch (RpcException e)
        {
            throw new DriverException($"The capture '{location}' could not be stored in the cluster image store: {e.Status.Detail} ({e.StatusCode}).", e);
        }
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched the VolumeImage {ImageLocation} ({Size} bytes, sha256 {Sha256})")]
    private partial void LogFetched(string imageLocation, long size, string sha256);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored the capture {ImageLocation} in the cluster image store ({Size} bytes, sha256 {Sha256})")]
    private partial void LogStored(string imageLocation, long size, string sha256);
}
