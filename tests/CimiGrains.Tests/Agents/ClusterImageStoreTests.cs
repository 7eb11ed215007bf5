using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CimiGrains.Agents.Images.Protocol;
using Grpc.Core;
using Grpc.Net.Client;
using Npgsql;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

/// <summary>One gateway; each test starts (and ends) its own agents, so it decides which hosts exist.</summary>
public sealed class ClusterImageStoreFixture : IAsyncLifetime
{
    public AgentCloud Cloud { get; private set; } = null!;

    public async Task InitializeAsync() => Cloud = await AgentCloud.StartAsync("images");

    public async Task DisposeAsync() => await Cloud.DisposeAsync();
}

/// <summary>
/// Issue 11, item 7: images any host can boot. Captures and operator-registered files live in the cluster
/// image store (PostgreSQL); a host that lacks an image fetches it, verified by digest.
/// </summary>
public sealed class ClusterImageStoreTests(ClusterImageStoreFixture fixture) : IClassFixture<ClusterImageStoreFixture>
{
    private AgentCloud Cloud => fixture.Cloud;

    [Fact]
    public async Task A_capture_boots_on_another_host_after_its_source_host_and_copy_are_gone_and_deleting_it_reclaims_every_copy()
    {
        var (client, template) = await Cloud.NewTenantAsync();
        var source = await Cloud.StartAgentAsync(AgentCloud.NewHostId("src"));
        var (id, _) = await CreateAsync(client, template);
        var (imageUri, reference) = await CaptureAsync(client, id);
        var location = "docker:" + reference;
        try
        {
            // The capture's success means its bytes are in the store.
            var stored = await StoredAsync(location);
            Assert.NotNull(stored);
            Assert.Equal("capture", stored.Value.Kind);
            Assert.True(stored.Value.Size > 0);
            var blob = await ScalarAsync<Guid>("SELECT blob_id FROM cimi_image WHERE location = $1", location);
            await DeleteAsync(client, id);
            await source.KillAsync();
            // The source host is gone and so is its copy: the engine no longer has the image anywhere.
            await DockerCli.RemoveImageAsync(reference);
            Assert.False(await DockerCli.ImageExistsAsync(reference));

            var target = await Cloud.StartAgentAsync(AgentCloud.NewHostId("dst"));
            var (copyId, copyKey) = await CreateAsync(client, new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(),
                ["machineImage"] = new JsonObject { ["href"] = imageUri },
            });
            await WaitStateAsync(client, copyId, "STARTED");
            Assert.Equal("running", await DockerCli.StateOfAsync(copyKey));
            Assert.True(await DockerCli.ImageExistsAsync(reference), "the fetched capture was not loaded under its own name");
            Assert.Contains($"Fetched {location}", target.Log);
            Assert.Empty(Directory.GetFiles(Path.Combine(Cloud.StateDirectoryOf(target.HostId), "image-transfers")));

            // Deleting the MachineImage deletes the stored bytes at once, and the fetching host's copy once
            // the Machine running from it is gone.
            var deleted = await client.DeleteAsync(imageUri);
            Assert.True(deleted.Code is 200 or 204, $"deleting the capture: {deleted}");
            Assert.Null(await StoredAsync(location));
            Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM cimi_image_chunk WHERE blob_id = $1", blob));
            Assert.True(await DockerCli.ImageExistsAsync(reference), "the image went while a Machine still runs from it");
            await DeleteAsync(client, copyId);
            await Eventually.Until(() => DockerCli.ImageExistsAsync(reference), e => !e, $"{reference} removed from the fetching host", TimeSpan.FromSeconds(30));
            await target.KillAsync();
        }
        finally
        {
            await DockerCli.RemoveImageAsync(reference);
        }
    }

    [Fact]
    public async Task Machines_created_at_once_from_an_image_the_host_lacks_fetch_it_once()
    {
        var (client, template) = await Cloud.NewTenantAsync();
        var source = await Cloud.StartAgentAsync(AgentCloud.NewHostId("once"));
        var (id, _) = await CreateAsync(client, template);
        var (imageUri, reference) = await CaptureAsync(client, id);
        var location = "docker:" + reference;
        AgentProcess? target = null;
        try
        {
            await DeleteAsync(client, id);
            await source.KillAsync();
            await DockerCli.RemoveImageAsync(reference);
            target = await Cloud.StartAgentAsync(AgentCloud.NewHostId("once"));
            var fromCapture = new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(), ["machineImage"] = new JsonObject { ["href"] = imageUri },
            };
            var machines = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => CreateAsync(client, fromCapture)));
            foreach (var (machine, _) in machines) await WaitStateAsync(client, machine, "STARTED");
            var fetches = target.Log.Split('\n').Count(l => l.Contains($"Fetched {location} "));
            Assert.True(fetches == 1, $"{fetches} fetches of {location} for 3 concurrent creates:\n{target.Log}");
            foreach (var (machine, _) in machines) await DeleteAsync(client, machine);
        }
        finally
        {
            if (target is not null) await target.KillAsync();
            await DockerCli.RemoveImageAsync(reference);
        }
    }

    [Fact]
    public async Task A_corrupted_stored_image_is_refused_with_a_failed_Job_and_nothing_left_behind()
    {
        var (client, template) = await Cloud.NewTenantAsync();
        var host = await Cloud.StartAgentAsync(AgentCloud.NewHostId("crpt"));
        var (id, _) = await CreateAsync(client, template);
        var (imageUri, reference) = await CaptureAsync(client, id);
        try
        {
            await DeleteAsync(client, id);
            await DockerCli.RemoveImageAsync(reference);
            // One byte of the first chunk flipped in the table.
            var changed = await ScalarAsync<int>("""
                WITH c AS (UPDATE cimi_image_chunk SET data = set_byte(data, 100, (get_byte(data, 100) + 1) % 256)
                           WHERE seq = 0 AND blob_id = (SELECT blob_id FROM cimi_image WHERE location = $1) RETURNING 1)
                SELECT count(*)::int FROM c
                """, "docker:" + reference);
            Assert.Equal(1, changed);

            var response = await client.PostAsync("machines", new JsonObject
            {
                ["name"] = "m",
                ["machineTemplate"] = new JsonObject
                {
                    ["machineConfig"] = template["machineConfig"]!.DeepClone(), ["machineImage"] = new JsonObject { ["href"] = imageUri },
                },
            });
            Assert.True(response.Code == 202, $"creating a Machine: {response}");
            var job = await client.WaitForJobAsync(response.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
            Assert.Equal("FAILED", job["state"]!.GetValue<string>());
            Assert.Contains("corrupt", job.ToJsonString());
            Assert.Contains("sha256", job.ToJsonString());
            Assert.False(await DockerCli.ImageExistsAsync(reference), "a corrupt image was imported");
            Assert.Empty(Directory.GetFiles(Path.Combine(Cloud.StateDirectoryOf(host.HostId), "image-transfers")));
            Assert.Empty(await DockerCli.ContainersOfAsync(KeyOf(client, response.Header("Location")!)));
        }
        finally
        {
            await host.KillAsync();
            await DockerCli.RemoveImageAsync(reference);
        }
    }

    [Fact]
    public async Task An_operator_registers_a_docker_save_archive_and_a_tenant_boots_a_Machine_from_it()
    {
        var location = $"docker:uploads/app-{Guid.NewGuid():N}"[..32] + ":1";
        var reference = location["docker:".Length..];
        var archive = Path.Combine(Path.GetTempPath(), $"cimi-archive-{Guid.NewGuid():N}.tar");
        var sourceTag = $"cimigrains/test-archive-{Guid.NewGuid():N}"[..40] + ":1";
        var host = await Cloud.StartAgentAsync(AgentCloud.NewHostId("upl"));
        try
        {
            // An image of its own (not the demo image's id, which other tests' containers use and would keep).
            var container = await DockerCli.RunAsync("create", DockerCli.DemoImage);
            await DockerCli.RunAsync("commit", "--change", $"LABEL cimigrains.test={Guid.NewGuid():N}", container, sourceTag);
            await DockerCli.RunAsync("rm", container);
            await DockerCli.RunAsync("save", "-o", archive, sourceTag);
            await DockerCli.RunAsync("rmi", sourceTag);
            using (var body = File.OpenRead(archive))
            {
                var uploaded = await AdminSendAsync(HttpMethod.Post, $"/admin/images?location={Uri.EscapeDataString(location)}", new StreamContent(body));
                Assert.True(uploaded.Code == HttpStatusCode.Created, $"registering the archive: {uploaded.Body}");
                Assert.Contains("docker-archive", uploaded.Body);
            }
            var listed = await AdminSendAsync(HttpMethod.Get, "/admin/images", null);
            Assert.Contains(location, listed.Body);

            var (client, template) = await Cloud.NewTenantAsync();
            var image = await client.PostAsync("machineImages", new JsonObject { ["name"] = "uploaded", ["imageLocation"] = location });
            Assert.True(image.Code == 201, $"a tenant naming the registered image: {image}");
            var (id, key) = await CreateAsync(client, new JsonObject
            {
                ["machineConfig"] = template["machineConfig"]!.DeepClone(), ["machineImage"] = new JsonObject { ["href"] = image.Json["id"]!.GetValue<string>() },
            });
            await WaitStateAsync(client, id, "STARTED");
            Assert.True(await DockerCli.ImageExistsAsync(reference), "the archive was not loaded under the location's name");

            // Still named by a MachineImage: the operator cannot pull it from under the tenant.
            var refused = await AdminSendAsync(HttpMethod.Delete, $"/admin/images?location={Uri.EscapeDataString(location)}", null);
            Assert.Equal(HttpStatusCode.Conflict, refused.Code);
            await DeleteAsync(client, id);
            Assert.True((await client.DeleteAsync(image.Json["id"]!.GetValue<string>())).Code is 200 or 204);
            var removed = await AdminSendAsync(HttpMethod.Delete, $"/admin/images?location={Uri.EscapeDataString(location)}", null);
            Assert.True(removed.Code == HttpStatusCode.NoContent, $"removing the registered image: {removed.Body}");
            Assert.Null(await StoredAsync(location));
            await Eventually.Until(() => DockerCli.ImageExistsAsync(reference), e => !e, $"{reference} removed from the host that fetched it", TimeSpan.FromSeconds(30));
        }
        finally
        {
            File.Delete(archive);
            await host.KillAsync();
            await DockerCli.RemoveImageAsync(reference);
            await DockerCli.RemoveImageAsync(sourceTag);
        }
    }

    [Theory]
    [InlineData("docker:uploads/garbage:1", "not a tar archive")]
    [InlineData("qemu:uploads/garbage.qcow2", "neither a qcow2 image")]
    public async Task Registering_bytes_that_are_not_an_image_file_is_a_400_naming_the_problem(string location, string problem)
    {
        var garbage = new ByteArrayContent(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("this is not an image file. ", 200))));
        var response = await AdminSendAsync(HttpMethod.Post, $"/admin/images?location={Uri.EscapeDataString(location)}", garbage);
        Assert.True(response.Code == HttpStatusCode.BadRequest, $"{response.Code}: {response.Body}");
        Assert.Contains(problem, response.Body);
        Assert.Null(await StoredAsync(location));
        Assert.Equal(0L, await ScalarAsync<long>("SELECT count(*) FROM cimi_image_upload"));
    }

    [Fact]
    public async Task A_qcow2_file_registers_under_qemu_and_a_docker_archive_of_two_images_is_refused()
    {
        // A real qcow2 file, as qemu-img (installed with QEMU) writes it.
        var file = Path.Combine(Path.GetTempPath(), $"cimi-{Guid.NewGuid():N}.qcow2");
        using (var process = System.Diagnostics.Process.Start("qemu-img", ["create", "-q", "-f", "qcow2", file, "1M"]))
            await process.WaitForExitAsync();
        var qcow2 = await File.ReadAllBytesAsync(file);
        File.Delete(file);
        var location = $"qemu:uploads/{Guid.NewGuid():N}.qcow2";
        var registered = await AdminSendAsync(HttpMethod.Post, $"/admin/images?location={Uri.EscapeDataString(location)}", new ByteArrayContent(qcow2));
        Assert.True(registered.Code == HttpStatusCode.Created, $"{registered.Code}: {registered.Body}");
        Assert.Contains("\"format\":\"qcow2\"", registered.Body);
        var again = await AdminSendAsync(HttpMethod.Post, $"/admin/images?location={Uri.EscapeDataString(location)}", new ByteArrayContent(qcow2));
        Assert.Equal(HttpStatusCode.Conflict, again.Code);
        Assert.Equal(HttpStatusCode.NoContent, (await AdminSendAsync(HttpMethod.Delete, $"/admin/images?location={Uri.EscapeDataString(location)}", null)).Code);
        Assert.Null(await StoredAsync(location));

        // A tar whose manifest.json describes two images: which one would the location name?
        using var tar = new MemoryStream();
        using (var writer = new System.Formats.Tar.TarWriter(tar, leaveOpen: true))
        {
            var manifest = """[{"Config":"a.json","RepoTags":["a:1"],"Layers":[]},{"Config":"b.json","RepoTags":["b:1"],"Layers":[]}]""";
            writer.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "manifest.json")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(manifest)),
            });
        }
        var two = await AdminSendAsync(HttpMethod.Post, "/admin/images?location=docker:uploads/two:1", new ByteArrayContent(tar.ToArray()));
        Assert.True(two.Code == HttpStatusCode.BadRequest, $"{two.Code}: {two.Body}");
        Assert.Contains("exactly one image", two.Body);
        Assert.Null(await StoredAsync("docker:uploads/two:1"));
    }

    [Fact]
    public async Task Registering_under_the_capture_repository_or_without_a_location_is_a_400()
    {
        var capture = await AdminSendAsync(HttpMethod.Post, "/admin/images?location=docker:cimigrains/capture:x", new ByteArrayContent([1, 2, 3]));
        Assert.Equal(HttpStatusCode.BadRequest, capture.Code);
        Assert.Contains("reserved for tenants' captures", capture.Body);
        var none = await AdminSendAsync(HttpMethod.Post, "/admin/images", new ByteArrayContent([1, 2, 3]));
        Assert.Equal(HttpStatusCode.BadRequest, none.Code);
    }

    [Fact]
    public async Task Another_tenant_can_neither_name_nor_download_a_capture()
    {
        var (owner, template) = await Cloud.NewTenantAsync();
        var host = await Cloud.StartAgentAsync(AgentCloud.NewHostId("iso"));
        var (id, _) = await CreateAsync(owner, template);
        var (imageUri, reference) = await CaptureAsync(owner, id);
        try
        {
            var location = "docker:" + reference;
            var (other, _) = await Cloud.NewTenantAsync();
            var named = await other.PostAsync("machineImages", new JsonObject { ["name"] = "stolen", ["imageLocation"] = location });
            Assert.Equal(400, named.Code);

            using var channel = GrpcChannel.ForAddress(Cloud.Controllers);
            var store = new ImageStore.ImageStoreClient(channel);
            var secret = new Metadata { { "x-cimi-agent-secret", AgentCloud.Secret } };
            var otherTenant = other.User[..other.User.LastIndexOf("-user", StringComparison.Ordinal)];
            var refused = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(store.Download(
                new DownloadRequest { ImageLocation = location, TenantId = otherTenant, HostId = "thief" }, secret)));
            Assert.Equal(StatusCode.NotFound, refused.StatusCode);
            // Without the enrollment secret nothing is served at all.
            var anonymous = await Assert.ThrowsAsync<RpcException>(() => ReadAllAsync(store.Download(
                new DownloadRequest { ImageLocation = location, TenantId = "x", HostId = "thief" })));
            Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
            // The owner's own host gets it, header first.
            var ownerTenant = owner.User[..owner.User.LastIndexOf("-user", StringComparison.Ordinal)];
            var bytes = await ReadAllAsync(store.Download(new DownloadRequest { ImageLocation = location, TenantId = ownerTenant, HostId = host.HostId }, secret));
            Assert.Equal((await StoredAsync(location))!.Value.Size, bytes);
            await DeleteAsync(owner, id);
            Assert.True((await owner.DeleteAsync(imageUri)).Code is 200 or 204);
        }
        finally
        {
            await host.KillAsync();
            await DockerCli.RemoveImageAsync(reference);
        }
    }

    private static async Task<long> ReadAllAsync(AsyncServerStreamingCall<ImageChunk> call)
    {
        using (call)
        {
            long total = 0;
            await foreach (var chunk in call.ResponseStream.ReadAllAsync()) total += chunk.Data.Length;
            return total;
        }
    }

    private async Task<(string Kind, long Size)?> StoredAsync(string location)
    {
        await using var connection = new NpgsqlConnection(Cloud.Postgres);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT kind, size_bytes FROM cimi_image WHERE location = $1", connection);
        cmd.Parameters.Add(new() { Value = location });
        await using var reader = await cmd.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetString(0), reader.GetInt64(1)) : null;
    }

    private async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(Cloud.Postgres);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, connection);
        foreach (var p in parameters) cmd.Parameters.Add(new() { Value = p });
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<(HttpStatusCode Code, string Body)> AdminSendAsync(HttpMethod method, string path, HttpContent? content)
    {
        using var http = new HttpClient { BaseAddress = Cloud.Gateway.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{GatewayProcess.AdminPassword}")));
        if (content is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content = content;
        }
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
