using System.Text.Json;
using System.Text.Json.Serialization;

namespace CimiGrains.Agents.Volumes;

/// <summary>
/// What makes a file in the pool a Volume: its key (<c>tenant/localId</c>), the generation whose create made
/// it, its format, capacity and tenant. Written beside the file, atomically, only once the file is complete,
/// so a file without a record is the leftover of an interrupted create and is removed at start.
/// </summary>
public sealed record VolumeRecord(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("generation")] long Generation,
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("capacityKiB")] long CapacityKiB,
    [property: JsonPropertyName("tenant")] string TenantId,
    [property: JsonPropertyName("bootable")] bool Bootable = false,
    [property: JsonPropertyName("imageLocation")] string? ImageLocation = null)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes the record to <paramref name="path"/>: a temporary file flushed to disk, then renamed over it.</summary>
    public void Write(string path)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        // Root's alone, as the Volume's file (VolumePool.OwnerOnly): it names the tenant and the Volume.
        using (var stream = new FileStream(temporary, VolumePool.NewFile(FileAccess.Write)))
        {
            JsonSerializer.Serialize(stream, this, Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The record at <paramref name="path"/>, or null when it is missing or unreadable.</summary>
    public static VolumeRecord? Read(string path)
    {
        try
        {
            var record = JsonSerializer.Deserialize<VolumeRecord>(File.ReadAllBytes(path), Json);
            return record is { Key.Length: > 0, Format.Length: > 0, CapacityKiB: > 0 } ? record : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
