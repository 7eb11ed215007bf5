using System.Text.Json;

namespace CimiGrains.Agents.Networks;

/// <summary>
/// The plane's records under the agent's state directory: <c>interfaces/{hash}.json</c> per plugged interface
/// and <c>states/{hash}.json</c> per Network state applied (the newest version, so an older one arriving later
/// is ignored, and the rules of a stopped Network are rebuilt after a restart). Each is written to a temporary
/// file, flushed and renamed over the old one, so a kill -9 leaves either the old record or the new.
/// </summary>
public sealed class PlaneStore
{
    private const string TemporarySuffix = ".tmp";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly string _interfaces;
    private readonly string _states;

    public PlaneStore(string directory)
    {
        Directory = directory;
        _interfaces = Path.Combine(directory, "interfaces");
        _states = Path.Combine(directory, "states");
        System.IO.Directory.CreateDirectory(_interfaces);
        System.IO.Directory.CreateDirectory(_states);
    }

    public string Directory { get; }

    public string InterfacePath(string interfaceId) => Path.Combine(_interfaces, PlaneNames.Hash(interfaceId) + ".json");
    public string StatePath(string networkId) => Path.Combine(_states, PlaneNames.Hash(networkId) + ".json");

    public PlaneInterfaceRecord? Interface(string interfaceId) => Read<PlaneInterfaceRecord>(InterfacePath(interfaceId)) is { } r && r.InterfaceId == interfaceId ? r : null;
    public NetworkPlaneState? State(string networkId) => Read<NetworkPlaneState>(StatePath(networkId)) is { } s && s.NetworkId == networkId ? s : null;

    public IReadOnlyList<PlaneInterfaceRecord> Interfaces() => ReadAll<PlaneInterfaceRecord>(_interfaces).Where(r => r.InterfaceId.Length > 0).ToList();
    public IReadOnlyList<NetworkPlaneState> States() => ReadAll<NetworkPlaneState>(_states).Where(s => s.NetworkId.Length > 0).ToList();

    public void Save(PlaneInterfaceRecord record) => Write(InterfacePath(record.InterfaceId), record);
    public void Save(NetworkPlaneState state) => Write(StatePath(state.NetworkId), state);
    public void DeleteInterface(string interfaceId) => File.Delete(InterfacePath(interfaceId));
    public void DeleteState(string networkId) => File.Delete(StatePath(networkId));

    /// <summary>Temporary files a crash left between write and rename.</summary>
    public void RemoveTemporaries()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*" + TemporarySuffix, SearchOption.AllDirectories)) File.Delete(file);
    }

    private static void Write<T>(string path, T value)
    {
        var temporary = path + TemporarySuffix;
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, value, Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private static IEnumerable<T> ReadAll<T>(string directory) where T : class =>
        System.IO.Directory.EnumerateFiles(directory, "*.json").Select(Read<T>).OfType<T>();

    /// <summary>The record, or null when it is missing or unreadable (an unreadable one is treated as absent:
    /// the kernel is the truth, and reconciliation removes what no record explains).</summary>
    private static T? Read<T>(string path) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), Json);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
