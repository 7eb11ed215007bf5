using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CimiGrains.Agents.Images.Protocol;
using Grpc.Core;
using Grpc.Net.Client;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// Issue 11, item 7: PostgreSQL goes away in the middle of a download from the cluster image store. The
/// host's stream fails with Unavailable naming the database (the agent then deletes its partial file and
/// fails the create: the same path as a corrupt image), never a truncated stream that looks complete, and
/// the same download works once the database is back.
/// </summary>
public sealed class ImageStoreOutageTests
{
    private const string Secret = "image-outage-secret";

    [Fact]
    public async Task A_database_outage_mid_download_fails_the_stream_cleanly_and_the_download_works_again_afterwards()
    {
        await using var database = await PrivatePostgres.StartAsync("cimigrains");
        var ports = FreePorts.Take(4);
        await using var gateway = await GatewayProcess.StartAsync(database.ConnectionString, new Dictionary<string, string>
        {
            ["CIMI_AGENT_PORT"] = ports[3].ToString(),
            ["CIMI_AGENT_SECRET"] = Secret,
        }, ports);

        // A 48 MiB raw disk (an MBR signature and whole sectors): 48 chunks in the store.
        const int size = 48 << 20;
        var disk = new byte[size];
        Random.Shared.NextBytes(disk);
        disk[510] = 0x55;
        disk[511] = 0xAA;
        const string location = "qemu:uploads/outage.raw";
        using (var http = new HttpClient { BaseAddress = gateway.BaseAddress, Timeout = TimeSpan.FromMinutes(2) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/admin/images?location={Uri.EscapeDataString(location)}")
            {
                Content = new ByteArrayContent(disk),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{GatewayProcess.AdminPassword}")));
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"registering the disk: {await response.Content.ReadAsStringAsync()}");
        }

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{ports[3]}");
        var store = new ImageStore.ImageStoreClient(channel);
        var secret = new Metadata { { "x-cimi-agent-secret", Secret } };
        var request1 = new DownloadRequest { ImageLocation = location, TenantId = "t", HostId = "h1" };
        using (var call = store.Download(request1, secret))
        {
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None), "no first chunk");
            Assert.Equal(size, call.ResponseStream.Current.Header.Size);
            long received = call.ResponseStream.Current.Data.Length;
            await database.StopAsync();
            var failure = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None)) received += call.ResponseStream.Current.Data.Length;
            });
            Assert.True(received < size, "the whole image arrived although the database was stopped after the first chunk");
            Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
            Assert.Contains("database", failure.Status.Detail);
        }

        await database.StartAgainAsync();
        var whole = await Eventually.Until(async () =>
        {
            try
            {
                using var again = store.Download(request1, secret);
                long total = 0;
                await foreach (var chunk in again.ResponseStream.ReadAllAsync()) total += chunk.Data.Length;
                return total;
            }
            catch (RpcException)
            {
                return -1;
            }
        }, total => total == size, "the download to work again after the outage", TimeSpan.FromSeconds(60));
        Assert.Equal(size, whole);
    }
}
