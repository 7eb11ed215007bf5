using System.Security.Cryptography;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Images;
using CimiGrains.Agents.Images.Protocol;
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
            var header = await store.DownloadAsync(new DownloadRequest { ImageLocation = location, TenantId = tenantId, HostId = options.HostId },
                path, sparse: true, "No Volume was made from it.", ct);
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
            var result = await store.UploadAsync(path,
                new ImageHeader { ImageLocation = location, Sha256 = sha256, Size = size, HostId = options.HostId, Format = format }, ct);
            LogStored(location, result.Size, result.Sha256);
            return result.ImageLocation.Length > 0 ? result.ImageLocation : location;
        }
        catch (RpcException e)
        {
            throw new DriverException($"The capture '{location}' could not be stored in the cluster image store: {e.Status.Detail} ({e.StatusCode}).", e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched the VolumeImage {ImageLocation} ({Size} bytes, sha256 {Sha256})")]
    private partial void LogFetched(string imageLocation, long size, string sha256);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored the capture {ImageLocation} in the cluster image store ({Size} bytes, sha256 {Sha256})")]
    private partial void LogStored(string imageLocation, long size, string sha256);
}
