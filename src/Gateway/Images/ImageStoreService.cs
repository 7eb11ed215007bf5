using System.Security.Cryptography;
using System.Text;
using CimiGrains.Agents.Images.Protocol;
using CimiGrains.Gateway.Agents;
using CimiGrains.Grains.Images;
using CimiGrains.Hosts;
using Google.Protobuf;
using Grpc.Core;
using Npgsql;

namespace CimiGrains.Gateway.Images;

/// <summary>
/// The hosts' side of the cluster image store (images.proto), on the agent port with the agents' secret.
/// A host uploads the image it captured (only a capture it was sent, for the tenant the capture record
/// names) and downloads any image it lacks (a capture only for a Machine of its own tenant). Bytes go
/// between the stream and PostgreSQL one chunk at a time; no grain sees them.
/// </summary>
public sealed partial class ImageStoreService(
    IGrainFactory grains, ImageStoreDatabase store, AgentApiOptions agentApi, ImageStoreOptions options,
    ILogger<ImageStoreService> logger) : ImageStore.ImageStoreBase
{
    public override async Task<UploadResult> Upload(IAsyncStreamReader<ImageChunk> requestStream, ServerCallContext context)
    {
        Authenticate(context);
        var ct = context.CancellationToken;
        if (!await requestStream.MoveNext(ct) || requestStream.Current.Header is not { } header)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message of an upload must carry its header."));
        var location = Canonical(header.ImageLocation);
        ImageLocation.TryParseStored(location, out var parsed, out _);
        if (parsed!.CapturedImageLocalId is null)
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"Hosts upload captures only ({ImageLocation.CaptureRepository}:ID); operators register images with POST /admin/images."));
        var capture = grains.GetGrain<ICapturedImageGrain>(location);
        // The capture record, written by the host grain before the capture was sent, says whose it is and
        // which hosts may hold it: a host cannot store bytes under another host's or tenant's capture.
        var owner = await capture.GetOwner();
        if (owner is null || !(await capture.GetHosts()).Contains(header.HostId))
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"No capture into '{location}' was sent to host '{header.HostId}'."));
        var format = Format(header.Format, parsed);
        try
        {
            await using var upload = await store.BeginUploadAsync(location, options.MaxImageBytes, ct);
            var first = requestStream.Current.Data;
            if (!first.IsEmpty) await upload.WriteAsync(first.Memory, ct);
            while (await requestStream.MoveNext(ct)) await upload.WriteAsync(requestStream.Current.Data.Memory, ct);
            if (header.Size > 0 && upload.Size != header.Size)
                throw new ImageDigestException($"The upload of '{location}' ended after {upload.Size} of {header.Size} bytes: nothing was stored.");
            var stored = await upload.CompleteAsync(parsed.Driver, StoredImage.CaptureKind, format, owner, header.Sha256, ct);
            // Released while it was arriving: its MachineImage is gone, so are its bytes.
            if (await capture.GetOwner() is null)
            {
                await store.DeleteAsync(location, StoredImage.CaptureKind, owner, ct);
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"The MachineImage of '{location}' was deleted during the upload."));
            }
            LogStored(location, stored.SizeBytes, stored.Sha256, header.HostId);
            return new UploadResult { ImageLocation = location, Sha256 = stored.Sha256, Size = stored.SizeBytes };
        }
        catch (ImageTooLargeException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
        catch (ImageDigestException e)
        {
            throw new RpcException(new Status(StatusCode.DataLoss, e.Message));
        }
        catch (NpgsqlException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"The image store's database is unavailable: {e.Message}"));
        }
    }

    public override async Task Download(DownloadRequest request, IServerStreamWriter<ImageChunk> responseStream, ServerCallContext context)
    {
        Authenticate(context);
        var ct = context.CancellationToken;
        var location = Canonical(request.ImageLocation);
        if (!IsValidHostId(request.HostId))
            throw new RpcException(new Status(StatusCode.InvalidArgument, "host_id must be 1-64 letters, digits, '-', '_' or '.'."));
        try
        {
            var image = await store.GetAsync(location, ct);
            // Another tenant's capture gets the answer an image that does not exist gets.
            if (image is null || image.Kind == StoredImage.CaptureKind && image.OwnerTenant != request.TenantId)
                throw new RpcException(new Status(StatusCode.NotFound, $"The image '{location}' is not in the cluster image store."));
            // Before any byte leaves: a deletion must reach this host even if the download is cut short.
            if (image.Kind == StoredImage.CaptureKind)
            {
                var capture = grains.GetGrain<ICapturedImageGrain>(location);
                await capture.HeldBy(request.HostId, image.OwnerTenant!);
                // Released between the read and the record: the record just made would outlive its image.
                if (await store.GetAsync(location, ct) is null)
                {
                    await capture.Release(image.OwnerTenant!);
                    throw new RpcException(new Status(StatusCode.NotFound, $"The image '{location}' is not in the cluster image store."));
                }
            }
            // A registered volume image is written straight into the new Volume's file: the host keeps no
            // copy of it, so there is nothing for a later removal to reach.
            else if (image.Driver != ImageLocation.VolumeScheme) await store.AddHolderAsync(location, request.HostId, ct);
            var header = new ImageHeader { ImageLocation = location, Sha256 = image.Sha256, Size = image.SizeBytes, Format = image.Format };
            long sent = 0;
            for (var seq = 0; sent < image.SizeBytes || seq == 0; seq++)
            {
                var data = await store.ReadChunkAsync(image.BlobId, seq, ct);
                if (data is null)
                {
                    if (sent == image.SizeBytes) break;
                    throw new RpcException(new Status(StatusCode.Aborted,
                        $"The image '{location}' was replaced or deleted during the download (after {sent} of {image.SizeBytes} bytes)."));
                }
                var chunk = new ImageChunk { Data = ByteString.CopyFrom(data) };
                if (seq == 0) chunk.Header = header;
                await responseStream.WriteAsync(chunk, ct);
                sent += data.Length;
            }
            LogServed(location, request.HostId, sent);
        }
        catch (NpgsqlException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"The image store's database is unavailable: {e.Message}"));
        }
    }

    private static string Canonical(string text) =>
        ImageLocation.TryParseStored(text, out var parsed, out var problem)
            ? parsed!.ToString()
            : throw new RpcException(new Status(StatusCode.InvalidArgument, problem!));

    private static bool IsValidHostId(string id) =>
        id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Volume formats a Volume capture may say it is (the pool's formats; an ext4 Volume's file is its raw bytes).</summary>
    private static readonly string[] VolumeFormats = ["ext4", "raw", "qcow2"];

    private static string Format(string given, ImageLocation location)
    {
        if (!location.IsVolume) return given.Length > 0 ? given : $"{location.Driver}-export";
        // A Volume made from the image checks its content against its own format; the recorded one must still be true.
        return VolumeFormats.Contains(given, StringComparer.Ordinal) ? given : throw new RpcException(new Status(StatusCode.InvalidArgument,
            $"A Volume capture's header names its format ({string.Join(", ", VolumeFormats)}), not '{given}'."));
    }

    private void Authenticate(ServerCallContext context)
    {
        var given = context.RequestHeaders.GetValue(AgentHubService.SecretHeader) ?? "";
        var expected = agentApi.Secret ?? throw new RpcException(new Status(StatusCode.Unavailable, "The agent API is off."));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected)))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "The enrollment secret is wrong."));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stored {ImageLocation} ({Size} bytes, sha256 {Sha256}) from host {HostId}")]
    private partial void LogStored(string imageLocation, long size, string sha256, string hostId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Served {ImageLocation} to host {HostId} ({Size} bytes)")]
    private partial void LogServed(string imageLocation, string hostId, long size);
}
