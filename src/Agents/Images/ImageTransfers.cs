using System.Collections.Concurrent;
using System.Security.Cryptography;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Images.Protocol;
using CimiGrains.Hosts;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Images;

/// <summary>
/// Moves images between this host's drivers and the cluster image store (docs/IMAGES.md). A create whose
/// image the driver lacks fetches it (once per image however many creates wait for it), checks its sha256
/// against the store's, and imports it; a capture is exported and uploaded before the capture counts as
/// done, so it survives this host. Files in transit live in one directory of this agent's own
/// (<c>CIMI_AGENT_STATE_DIR/image-transfers</c>), emptied at start: a kill -9 leaves nothing for good.
/// </summary>
public sealed partial class ImageTransfers : IDisposable
{
    private readonly ImageStoreClient _store;
    private readonly AgentOptions _options;
    private readonly ILogger<ImageTransfers> _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _fetching = new(StringComparer.Ordinal);

    public ImageTransfers(ImageStoreClient store, AgentOptions options, ILogger<ImageTransfers> logger)
    {
        _store = store;
        _options = options;
        _logger = logger;
        // Not the driver's storage directory: several agents may share one engine's (Docker's data root),
        // and emptying it at start would delete another agent's transfer. This directory is this host id's.
        Directory = Path.Combine(options.StateDirectory, "image-transfers");
        if (System.IO.Directory.Exists(Directory))
        {
            foreach (var left in System.IO.Directory.EnumerateFiles(Directory)) File.Delete(left);
        }
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>Where files in transit are; empty whenever no transfer runs.</summary>
    public string Directory { get; }

    /// <summary>
    /// Makes sure <paramref name="driver"/> has the image at <paramref name="imageLocation"/>, fetching it from
    /// the store for a Machine of <paramref name="tenantId"/> when it does not. Concurrent callers for one
    /// image share one fetch.
    /// </summary>
    public async Task EnsureAsync(IMachineDriver driver, string imageLocation, string tenantId, CancellationToken ct)
    {
        var location = ImageLocation.Parse(imageLocation).ToString();
        if (await driver.HasImageAsync(location, ct)) return;
        var fetch = _fetching.GetOrAdd(location, l => new Lazy<Task>(() => FetchAsync(driver, l, tenantId, ct)));
        try
        {
            await fetch.Value.WaitAsync(ct);
        }
        finally
        {
            // The next create after this one (finished or failed) looks at the driver again.
            _fetching.TryRemove(new KeyValuePair<string, Lazy<Task>>(location, fetch));
        }
    }

    private async Task FetchAsync(IMachineDriver driver, string location, string tenantId, CancellationToken ct)
    {
        // A fetch that finished just before this one was set up has already brought it.
        if (await driver.HasImageAsync(location, ct)) return;
        var path = Path.Combine(Directory, $"fetch-{Guid.NewGuid():N}");
        try
        {
            var header = await _store.DownloadAsync(new DownloadRequest { ImageLocation = location, TenantId = tenantId, HostId = _options.HostId },
                path, sparse: false, "Nothing was imported.", ct);
            await using (var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
                await driver.ImportImageAsync(location, source, ct);
            LogFetched(location, header.Size, header.Sha256);
        }
        catch (RpcException e)
        {
            throw new DriverException(e.StatusCode == StatusCode.NotFound
                ? $"The image '{location}' is not on host '{_options.HostId}' and not in the cluster image store."
                : $"Fetching the image '{location}' from the cluster image store failed: {e.Status.Detail} ({e.StatusCode}).", e);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Exports the image a capture just made and stores it; returns once the store holds every byte.</summary>
    public async Task StoreAsync(IMachineDriver driver, string imageLocation, CancellationToken ct)
    {
        var location = ImageLocation.Parse(imageLocation).ToString();
        var path = Path.Combine(Directory, $"store-{Guid.NewGuid():N}");
        try
        {
            string sha256;
            long size;
            // Exported to a file first: the upload's header carries the digest, and a retry to another
            // controller must send the same bytes again.
            await using (var file = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true))
            {
                using var sha = SHA256.Create();
                await using (var hashing = new CryptoStream(file, sha, CryptoStreamMode.Write, leaveOpen: true))
                {
                    await driver.ExportImageAsync(location, hashing, ct);
                    await hashing.FlushFinalBlockAsync(ct);
                }
                size = file.Length;
                sha256 = Convert.ToHexStringLower(sha.Hash!);
            }
            var result = await _store.UploadAsync(path,
                new ImageHeader { ImageLocation = location, Sha256 = sha256, Size = size, HostId = _options.HostId, Format = $"{driver.Name}-export" }, ct);
            LogStored(location, result.Size, result.Sha256);
        }
        catch (RpcException e)
        {
            throw new DriverException($"The capture '{location}' was made on this host but could not be stored in the cluster image store: {e.Status.Detail} ({e.StatusCode}).", e);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public void Dispose() => _store.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched {ImageLocation} from the cluster image store ({Size} bytes, sha256 {Sha256})")]
    private partial void LogFetched(string imageLocation, long size, string sha256);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored the capture {ImageLocation} in the cluster image store ({Size} bytes, sha256 {Sha256})")]
    private partial void LogStored(string imageLocation, long size, string sha256);
}
