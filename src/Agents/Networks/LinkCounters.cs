using System.Globalization;

namespace CimiGrains.Agents.Networks;

/// <summary>
/// The kernel's counters of one network device on the host (<c>/sys/class/net/DEV/statistics</c>), read from
/// the host's side. For the host end of a veth pair or a tap, what the device <em>transmits</em> is what the
/// workload behind it receives, and the other way round: <see cref="WorkloadReceivedBytes"/> and
/// <see cref="WorkloadTransmittedBytes"/> are already turned to the workload's point of view, which is the one
/// every CIMI aspect takes (a Machine's <c>network.received</c> is what the Machine received).
/// </summary>
public sealed record LinkCounters(long WorkloadReceivedBytes, long WorkloadTransmittedBytes, long WorkloadReceivedPackets, long WorkloadTransmittedPackets)
{
    private const string Devices = "/sys/class/net";

    /// <summary>The counters of host device <paramref name="device"/>, or null when it does not exist (gone
    /// meanwhile, or not made yet).</summary>
    public static LinkCounters? Read(string device)
    {
        if (device.Length == 0 || device.Contains('/') || device.Contains("..", StringComparison.Ordinal)) return null;
        var statistics = Path.Combine(Devices, device, "statistics");
        try
        {
            return new LinkCounters(
                Number(statistics, "tx_bytes"), Number(statistics, "rx_bytes"),
                Number(statistics, "tx_packets"), Number(statistics, "rx_packets"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Every device's counters as <c>ip -j -s link show</c> gives them where <paramref name="shell"/> runs
    /// (its named namespace), by device name.</summary>
    public static async Task<IReadOnlyDictionary<string, LinkCounters>> ReadAllAsync(PlaneShell shell, CancellationToken ct)
    {
        using var json = System.Text.Json.JsonDocument.Parse(await shell.RunAsync("ip", ["-j", "-s", "link", "show"], ct));
        var all = new Dictionary<string, LinkCounters>(StringComparer.Ordinal);
        foreach (var link in json.RootElement.EnumerateArray())
        {
            if (!link.TryGetProperty("ifname", out var name) || !link.TryGetProperty("stats64", out var stats)) continue;
            if (!stats.TryGetProperty("rx", out var rx) || !stats.TryGetProperty("tx", out var tx)) continue;
            all[name.GetString()!] = new LinkCounters(tx.GetProperty("bytes").GetInt64(), rx.GetProperty("bytes").GetInt64(),
                tx.GetProperty("packets").GetInt64(), rx.GetProperty("packets").GetInt64());
        }
        return all;
    }

    public LinkCounters Plus(LinkCounters other) => new(
        WorkloadReceivedBytes + other.WorkloadReceivedBytes, WorkloadTransmittedBytes + other.WorkloadTransmittedBytes,
        WorkloadReceivedPackets + other.WorkloadReceivedPackets, WorkloadTransmittedPackets + other.WorkloadTransmittedPackets);

    private static long Number(string directory, string name) =>
        long.Parse(File.ReadAllText(Path.Combine(directory, name)).Trim(), CultureInfo.InvariantCulture);
}
