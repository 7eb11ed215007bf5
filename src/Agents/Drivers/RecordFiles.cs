using System.Text.Json;
using System.Text.Json.Serialization;

namespace CimiGrains.Agents.Drivers;

/// <summary>
/// The JSON records drivers keep beside their workloads (a VM's record, a container's volumes and network
/// interfaces): one serializer setting for all, and one atomic write (a temp file flushed to disk, then renamed
/// over the record), so a kill -9 leaves either the old record or the new one, never half of one.
/// </summary>
public static class RecordFiles
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The record in <paramref name="file"/>, or null when there is none; an unreadable one is a
    /// <see cref="DriverException"/> naming <paramref name="what"/> and the file.</summary>
    public static T? Read<T>(string file, string what) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllBytes(file), Json);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw new DriverException($"The {what} {file} is unreadable: {e.Message}", e);
        }
    }

    /// <summary>Writes <paramref name="record"/> to <paramref name="file"/> atomically; <paramref name="ownerOnly"/>:
    /// readable by its owner alone (the record holds secrets).</summary>
    public static void Write<T>(string file, T record, bool ownerOnly = false)
    {
        var temp = file + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (ownerOnly && !OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, record, Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, file, overwrite: true);
    }
}
