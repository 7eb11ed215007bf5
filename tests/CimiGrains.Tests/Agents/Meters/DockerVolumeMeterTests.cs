extern alias agents;
using System.Text.Json.Nodes;
using agents::CimiGrains.Agents.Docker;
using agents::CimiGrains.Agents.Volumes;
using CimiGrains.Tests.Http;
using CimiGrains.Tests.Http.Meters;
using CimiGrains.Tests.Http.Volumes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents.Meters;

/// <summary>
/// Volume Meters measured on a real host: a Volume whose template names a used-capacity MeterTemplate,
/// attached to a container, and a write Meter made after; what the workload writes into the Volume shows in
/// both, and deleting the Volume deletes its Meters.
/// </summary>
[Collection(DockerAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DockerVolumeMeterTests(DockerAgentFixture fixture)
{
    private const string Used = "urn:cimigrains:meter:aspect:volume.used";
    private const string Write = "urn:cimigrains:meter:aspect:disk.write";

    [Fact]
    public async Task A_volumes_used_capacity_and_write_Meters_follow_what_the_workload_wrote()
    {
        await fixture.EnsureAgentAsync();
        var (client, template) = await fixture.Cloud.NewTenantAsync(cpu: 1, memoryKiB: 128 * 1024);
        using var _ = client;
        // The used-capacity Meter comes with the Volume, from its template; the write Meter is made after.
        var usedConfig = MeterDocs.Configuration(Used);
        usedConfig["associatedTo"] = new JsonArray("Volume");
        var created = await client.PostAsync("volumes", VolumeDocs.Create(new JsonObject
        {
            ["volumeConfig"] = VolumeDocs.Configuration(256 * 1024),
            ["meterTemplates"] = new JsonArray(MeterDocs.Template(usedConfig)),
        }));
        Assert.True(created.Code == 202, $"creating a Volume: {created}");
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(created.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60)))["state"]!.GetValue<string>());
        var volume = created.Header("Location")!;
        var doc = (await client.GetAsync(volume)).Json;
        Assert.EndsWith("/meters", doc["meters"]!["href"]!.GetValue<string>());

        var listed = (await client.GetAsync(volume + "/meters")).Json;
        var used = listed["meters"]!.AsArray().Single(m => m!["aspect"]!.GetValue<string>() == Used)!["id"]!.GetValue<string>();
        var write = await MeterDocs.VolumeMeterAsync(client, volume, Write);
        // A Volume offers no CPU: the 400 says what it offers.
        var cpu = await client.PostAsync("meters", MeterDocs.Create(MeterDocs.Template(MeterDocs.Configuration(MeterDocs.Cpu), volume)));
        Assert.True(cpu.Code == 400 && cpu.Body.Contains("volume.used", StringComparison.Ordinal), cpu.ToString());

        var attached = template.DeepClone().AsObject();
        attached["volumes"] = new JsonArray(new JsonObject { ["href"] = volume, ["initialLocation"] = "/data" });
        var (machine, key) = await CreateAsync(client, attached);
        await WaitStateAsync(client, machine, "STARTED");
        var before = await Eventually.Until(() => MeterDocs.LatestAsync(client, used), v => !double.IsNaN(v), "a first sample of the Volume's used capacity",
            TimeSpan.FromSeconds(60));

        var since = DateTimeOffset.UtcNow;
        await DockerCli.RunAsync("exec", ContainerNaming.For(key), "sh", "-c", "dd if=/dev/urandom of=/data/blob bs=1M count=48 && sync");
        var after = await Eventually.Until(() => MeterDocs.LatestAsync(client, used), v => v >= before + 40_000_000,
            $"the Volume's used capacity to grow by 40 MB from {before} bytes", TimeSpan.FromSeconds(60));
        Assert.True(after <= 256.0 * 1024 * 1024, $"used {after} bytes of a 256 MiB Volume");
        // Each byte/s sample is the rate over the time since the agent's previous reading, nominally a second;
        // on a loaded machine readings come later, so their sum undercounts: half of what was written is the bar.
        var written = await Eventually.Until(() => MeterDocs.SumSinceAsync(client, write, since), w => w >= 24_000_000,
            "the Volume's write Meter to account 24 MB of the 48 MiB written (byte/s samples, about one a second)", TimeSpan.FromSeconds(60));
        Assert.True(written < 200_000_000, $"48 MiB written, the write Meter sums {written} bytes");

        await DeleteAsync(client, machine);
        var deleted = await client.DeleteAsync(volume);
        Assert.True(deleted.Code == 202, deleted.ToString());
        await client.WaitForJobAsync(deleted.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
        await Eventually.Until(async () => (await client.GetAsync(used)).Code, c => c == 404, "the Volume's Meter to go with it");
    }

    [Fact]
    public async Task The_host_reads_a_volumes_allocated_bytes_and_its_loop_devices_IO()
    {
        await DockerCli.RequireAsync();
        await using var host = new Volumes.DockerVolumeHost("volmeter");
        var tenant = $"t{Guid.NewGuid():N}"[..12];
        string machine = $"{tenant}/m1", volume = $"{tenant}/v1";
        await host.Pool.CreateAsync(volume, 64);
        var path = host.Pool.PathOf(volume)!;
        (string, string)[] volumes = [(volume, path)];

        var idle = VolumeCounters.Read(volumes, TimeProvider.System).Single();
        Assert.Null(idle.WriteBytes);
        Assert.InRange(idle.AllocatedBytes, 1, 32L * 1024 * 1024);

        await host.Driver.CreateAsync(machine, 1, Volumes.DockerVolumeHost.Spec(machine, host.Volume(volume, "/data")), default);
        var mounted = VolumeCounters.Read(volumes, TimeProvider.System).Single();
        Assert.NotNull(mounted.WriteBytes);
        Assert.True((await Volumes.DockerVolumeHost.ShAsync(machine, "dd if=/dev/urandom of=/data/blob bs=1M count=16 && sync")).Ok);
        var full = VolumeCounters.Read(volumes, TimeProvider.System).Single();
        Assert.True(full.AllocatedBytes >= idle.AllocatedBytes + 15L * 1024 * 1024, $"allocated {idle.AllocatedBytes} -> {full.AllocatedBytes}");
        Assert.True(full.WriteBytes >= mounted.WriteBytes + 15L * 1024 * 1024, $"written {mounted.WriteBytes} -> {full.WriteBytes}");

        await host.Driver.DeleteAsync(machine, default);
        Assert.Empty(await host.Pool.LoopDevicesGoneAsync());
    }
}
