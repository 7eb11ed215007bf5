using System.Collections.Concurrent;
using System.Security.Cryptography;
using CimiGrains.Agents.Images.Protocol;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// The cluster image store's host API (images.proto) played by the test, beside the <see cref="FakeController"/>'s hub:
/// it keeps what a host uploads in memory, checks the digest as the real store does, and serves it back. A test
/// may hold a download after its first chunk (<see cref="HoldDownloads"/>) to catch an agent mid-transfer.
/// </summary>
public sealed class FakeVolumeImageStore
{
    private readonly ConcurrentDictionary<string, (byte[] Bytes, string Sha256, string Format, string HostId)> _images = new(StringComparer.Ordinal);

    /// <summary>While set, a download sends its first chunk and then waits for this task.</summary>
    public TaskCompletionSource? HoldDownloads { get; set; }

    /// <summary>Set once a held download has sent its first chunk.</summary>
    public TaskCompletionSource DownloadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool TryGet(string location, out byte[] bytes, out string format)
    {
        var found = _images.TryGetValue(location, out var image);
        bytes = found ? image.Bytes : [];
        format = found ? image.Format : "";
        return found;
    }

    public void Put(string location, byte[] bytes, string format = "raw") =>
        _images[location] = (bytes, Convert.ToHexStringLower(SHA256.HashData(bytes)), format, "test");

    public static FakeController.ServiceRegistration Registration(FakeVolumeImageStore store) => new(
        services => services.AddSingleton(store),
        app => app.MapGrpcService<Service>());

    private sealed class Service(FakeVolumeImageStore store) : ImageStore.ImageStoreBase
    {
        public override async Task<UploadResult> Upload(IAsyncStreamReader<ImageChunk> requestStream, ServerCallContext context)
        {
            Authenticate(context);
            var ct = context.CancellationToken;
            if (!await requestStream.MoveNext(ct) || requestStream.Current.Header is not { } header)
                throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message of an upload must carry its header."));
            using var bytes = new MemoryStream();
            bytes.Write(requestStream.Current.Data.Span);
            while (await requestStream.MoveNext(ct)) bytes.Write(requestStream.Current.Data.Span);
            var data = bytes.ToArray();
            var sha = Convert.ToHexStringLower(SHA256.HashData(data));
            if (sha != header.Sha256 || data.Length != header.Size)
                throw new RpcException(new Status(StatusCode.DataLoss, $"sha256 {sha} ({data.Length} bytes) is not the header's {header.Sha256} ({header.Size})."));
            store._images[header.ImageLocation] = (data, sha, header.Format, header.HostId);
            return new UploadResult { ImageLocation = header.ImageLocation, Sha256 = sha, Size = data.Length };
        }

        public override async Task Download(DownloadRequest request, IServerStreamWriter<ImageChunk> responseStream, ServerCallContext context)
        {
            Authenticate(context);
            if (!store._images.TryGetValue(request.ImageLocation, out var image))
                throw new RpcException(new Status(StatusCode.NotFound, $"The image '{request.ImageLocation}' is not in the cluster image store."));
            var header = new ImageHeader { ImageLocation = request.ImageLocation, Sha256 = image.Sha256, Size = image.Bytes.Length, Format = image.Format };
            const int chunk = 1 << 20;
            for (var offset = 0; offset < image.Bytes.Length || offset == 0; offset += chunk)
            {
                var message = new ImageChunk { Data = ByteString.CopyFrom(image.Bytes, offset, Math.Min(chunk, image.Bytes.Length - offset)) };
                if (offset == 0) message.Header = header;
                await responseStream.WriteAsync(message, context.CancellationToken);
                if (offset == 0 && store.HoldDownloads is { } hold)
                {
                    store.DownloadStarted.TrySetResult();
                    await hold.Task.WaitAsync(context.CancellationToken);
                }
                if (image.Bytes.Length == 0) break;
            }
        }

        private static void Authenticate(ServerCallContext context)
        {
            if (context.RequestHeaders.GetValue("x-cimi-agent-secret") != FakeController.Secret)
                throw new RpcException(new Status(StatusCode.Unauthenticated, "The enrollment secret is wrong."));
        }
    }
}
