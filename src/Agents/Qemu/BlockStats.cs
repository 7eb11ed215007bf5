using System.Text.Json.Nodes;
using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// A VM's disk I/O from QMP <c>query-blockstats</c>: what its guest read and wrote, device by device, as QEMU's
/// device emulation accounts the guest's requests (each entry's top-level <c>stats</c>; the <c>parent</c> and
/// <c>backing</c> layers below are the image format's and the host files' own I/O, metadata and copy-on-write reads
/// included, and are not counted). Unlike the QEMU process's /proc I/O this is neither helped nor hidden by the
/// host's page cache, and holds none of QEMU's own files (its console log, a suspend's saved state).
/// <see cref="ReadBytes"/> and <see cref="WriteBytes"/> sum every entry a guest device uses (a <c>qdev</c> path): the
/// boot disk, the Machine's own disks, the NoCloud seed (a disk the guest reads like any other, so a guest's own
/// <c>iostat</c> and this agree) and the attached Volumes (a container's Machine counts its Volumes' I/O too).
/// <see cref="Volumes"/> is the share of each attached Volume, by its device (<see cref="RecordedVolume.Device"/>).
/// </summary>
public sealed record BlockStats(long ReadBytes, long WriteBytes, IReadOnlyList<VolumeIo> Volumes)
{
    /// <summary>The reply's return value read for a VM with <paramref name="volumes"/> attached; a Volume whose device
    /// the reply does not list (hot-plugged or unplugged meanwhile) is left out. Null when the reply is not a list.</summary>
    public static BlockStats? Of(JsonNode? reply, IReadOnlyList<RecordedVolume> volumes)
    {
        if (reply is not JsonArray entries) return null;
        long read = 0, written = 0;
        var byDevice = new Dictionary<string, VolumeIo>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry?["qdev"]?.GetValue<string>() is not { Length: > 0 } qdev || entry["stats"] is not JsonObject stats) continue;
            long entryRead = Bytes(stats, "rd_bytes"), entryWritten = Bytes(stats, "wr_bytes");
            read += entryRead;
            written += entryWritten;
            // A device with an id of ours is /machine/peripheral/ID/virtio-backend; the -drive ones are anonymous.
            if (volumes.FirstOrDefault(v => qdev.StartsWith($"/machine/peripheral/{v.Device}/", StringComparison.Ordinal)) is { } volume)
                byDevice[volume.Device] = new VolumeIo(volume.VolumeKey, entryRead, entryWritten);
        }
        return new BlockStats(read, written, byDevice.Values.ToList());
    }

    private static long Bytes(JsonObject stats, string name) => stats[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
}
