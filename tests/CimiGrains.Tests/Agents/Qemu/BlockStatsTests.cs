extern alias agents;
using System.Text.Json.Nodes;
using agents::CimiGrains.Agents.Qemu;

namespace CimiGrains.Tests.Agents.Qemu;

/// <summary>
/// Reading QMP <c>query-blockstats</c> against a reply QEMU 7.2 wrote (Replies/query-blockstats.json): the demo VM
/// booted under TCG with the driver's device layout (the boot disk overlay as <c>-drive id=root</c>, one Machine disk
/// <c>disk0</c>, the seed <c>cidata</c>, and a Volume as <c>-blockdev</c> nodes <c>volfile0</c>/<c>vol0</c> on device
/// <c>voldev0</c>), whose userData wrote 1 MiB to the Volume's disk and 2 MiB to a file in /data (the boot disk), each
/// with <c>conv=fsync</c>. The reply's numbers are the guest's: 1048576 bytes written to <c>voldev0</c>.
/// </summary>
public sealed class BlockStatsTests
{
    private static JsonNode? Reply() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Agents", "Qemu", "Replies", "query-blockstats.json")))!["return"];

    [Fact]
    public void The_machines_disk_IO_is_the_sum_of_its_guest_devices_top_level_counters()
    {
        var stats = BlockStats.Of(Reply(), [])!;
        // root + disk0 + cidata + vol0, as the guest's requests; not their parent (file) or backing layers.
        Assert.Equal(515584 + 504320 + 517120 + 504320, stats.ReadBytes);
        Assert.Equal(2108416 + 1048576, stats.WriteBytes);
        Assert.Empty(stats.Volumes);
    }

    [Fact]
    public void An_attached_volumes_share_is_found_by_its_device_and_a_volume_the_reply_lacks_is_left_out()
    {
        RecordedVolume listed = new("t1/data", "/pool/vol-0.img", "raw", false, Slot: 0), unplugged = new("t1/other", "/pool/vol-1.img", "raw", false, Slot: 1);
        var stats = BlockStats.Of(Reply(), [listed, unplugged])!;
        var volume = Assert.Single(stats.Volumes);
        Assert.Equal(new agents::CimiGrains.Agents.Drivers.VolumeIo("t1/data", 504320, 1048576), volume);
        // The Volume's I/O is also the Machine's.
        Assert.Equal(2108416 + 1048576, stats.WriteBytes);
    }

    [Fact]
    public void A_reply_that_is_not_a_list_reads_as_nothing_and_entries_without_a_guest_device_do_not_count()
    {
        Assert.Null(BlockStats.Of(JsonNode.Parse("""{"status": "running"}"""), []));
        var reply = JsonNode.Parse("""
            [{"device": "unplugged", "stats": {"rd_bytes": 7, "wr_bytes": 9}},
             {"device": "", "qdev": "/machine/peripheral/voldev3/virtio-backend", "node-name": "vol3", "stats": {"rd_bytes": 100, "wr_bytes": 200},
              "parent": {"node-name": "volfile3", "stats": {"rd_bytes": 1000, "wr_bytes": 2000}}}]
            """);
        var stats = BlockStats.Of(reply, [new RecordedVolume("t1/v3", "/pool/v3.img", "raw", false, Slot: 3)])!;
        Assert.Equal((100, 200), (stats.ReadBytes, stats.WriteBytes));
        Assert.Equal(200, Assert.Single(stats.Volumes).WriteBytes);
    }
}
