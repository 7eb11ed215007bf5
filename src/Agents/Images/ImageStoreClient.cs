using CimiGrains.Agents.Images.Protocol;
using Grpc.Core;
using Grpc.Net.Client;

namespace CimiGrains.Agents.Images;

/// <summary>
/// The cluster image store as this host reaches it: the ImageStore service every controller (silo) serves
/// on its agent port, with the enrollment secret. A call goes to a random controller and, when that one
/// is unreachable, to the next (any silo serves any image: the bytes are in the shared database).
/// </summary>
public sealed class ImageStoreClient(AgentOptions options) : IDisposable
{
    private readonly Lazy<GrpcChannel>[] _channels = options.Controllers
        .Select(c => new Lazy<GrpcChannel>(() => GrpcChannel.ForAddress(c, new GrpcChannelOptions
        {
            HttpHandler = AgentWorker.CreateHandler(options),
            // Chunks are 1 MiB; the default 4 MiB limit would do, but say it.
            MaxReceiveMessageSize = 8 << 20,
            MaxSendMessageSize = 8 << 20,
        })))
        .ToArray();

    private Metadata Secret => new() { { AgentWorker.SecretHeader, options.Secret } };

    /// <summary>Runs <paramref name="call"/> against the controllers in turn until one is reachable; any other
    /// failure (refused, not found, a broken stream mid-transfer) is the answer.</summary>
    public async Task<T> CallAsync<T>(Func<ImageStore.ImageStoreClient, Metadata, Task<T>> call)
    {
        var start = Random.Shared.Next(_channels.Length);
        for (var i = 0; ; i++)
        {
            var client = new ImageStore.ImageStoreClient(_channels[(start + i) % _channels.Length].Value);
            try
            {
                return await call(client, Secret);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && i + 1 < _channels.Length && !e.Status.Detail.Contains("database", StringComparison.Ordinal))
            {
                // That silo is away: another serves the same store.
            }
        }
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Where(c => c.IsValueCreated)) channel.Value.Dispose();
    }
}
