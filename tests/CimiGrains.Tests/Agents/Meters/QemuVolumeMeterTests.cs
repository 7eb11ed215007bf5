using System.Text;
using System.Text.Json.Nodes;
using CimiGrains.Tests.Agents.Qemu;
using CimiGrains.Tests.Http.Meters;
using CimiGrains.Tests.Http.Volumes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents.Meters;

/// <summary>
/// A VM's Volume measured through the whole path (driver, agent, ingest, samples query): a Volume of the agent's pool
/// attached to a VM has no loop device, so what the guest writes to it reaches the Volume's write Meter only through
/// the VM's block statistics; the VM's own write Meter counts it too.
/// </summary>
[Collection(QemuAgentCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuVolumeMeterTests(QemuAgentFixture fixture)
{
    private const string Write = "urn:cimigrains:meter:aspect:disk.write";

    /// <summary>16 MiB to the one virtio disk with a serial (the Volume: the VM's own disks and seed have none).</summary>
    private const string Script = """
        #!/bin/sh
        ( for b in /sys/block/vd*; do
            [ -n "$(cat $b/serial 2>/dev/null)" ] && dd if=/dev/urandom of=/dev/${b##*/} bs=64k count=256 conv=fsync 2>/dev/null && echo "METERTEST wrote ${b##*/}"
          done ) &
        """;

    [Fact]
    public async Task What_a_VM_writes_to_its_Volume_shows_in_the_Volumes_write_Meter_and_in_the_Machines()
    {
        await fixture.EnsureAgentAsync();
        var (client, template) = await fixture.NewTenantAsync();
        using var _ = client;
        var created = await client.PostAsync("volumes", VolumeDocs.Create(new JsonObject { ["volumeConfig"] = VolumeDocs.Configuration(64 * 1024) }));
        Assert.True(created.Code == 202, $"creating a Volume: {created}");
        Assert.Equal("SUCCESS", (await client.WaitForJobAsync(created.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60)))["state"]!.GetValue<string>());
        var volume = created.Header("Location")!;
        var volumeWrite = await MeterDocs.VolumeMeterAsync(client, volume, Write);

        var since = DateTimeOffset.UtcNow;
        template["volumes"] = new JsonArray(new JsonObject { ["href"] = volume });
        template["userData"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Script.Replace("\r", "")));
        template["meterTemplates"] = new JsonArray(MeterDocs.Template(MeterDocs.Configuration(Write)));
        var (machine, key) = await CreateAsync(client, template);
        try
        {
            await fixture.Host.WaitConsoleAsync(key, c => c.Contains("METERTEST wrote vd"), "the guest to write 16 MiB to its Volume");
            var machineWrite = (await client.GetAsync(machine + "/meters")).Json["meters"]!.AsArray().Single()!["id"]!.GetValue<string>();
            // byte/s samples about a second apart: their sum undercounts when readings come late, so half is the bar.
            var written = await Eventually.Until(() => MeterDocs.SumSinceAsync(client, volumeWrite, since), w => w >= 8_000_000,
                "the Volume's write Meter to account 8 MB of the 16 MiB the guest wrote to it", TimeSpan.FromSeconds(60));
            Assert.True(written < 40_000_000, $"16 MiB written, the Volume's write Meter sums {written} bytes");
            await Eventually.Until(() => MeterDocs.SumSinceAsync(client, machineWrite, since), w => w >= 8_000_000,
                "the Machine's write Meter to account the guest's writes to its Volume", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await DeleteAsync(client, machine);
        }
        var deleted = await client.DeleteAsync(volume);
        Assert.True(deleted.Code == 202, deleted.ToString());
        await client.WaitForJobAsync(deleted.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(60));
    }
}
