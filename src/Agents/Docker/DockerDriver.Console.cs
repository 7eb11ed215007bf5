using System.Text;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Docker;

/// <summary>A container's console: what its processes wrote to stdout and stderr (<c>docker logs</c>), interleaved
/// as the engine recorded them.</summary>
public sealed partial class DockerDriver
{
    /// <summary>
    /// The engine cuts a log by lines, not bytes: asking for this many lines per byte wanted (at least
    /// <see cref="MinConsoleLines"/>) reads little more than the tail, however long the container has run,
    /// and gives the whole tail unless its lines are shorter than 8 bytes on average.
    /// </summary>
    private const int ConsoleBytesPerLine = 8, MinConsoleLines = 256;

    public async Task<string> ReadConsoleAsync(string machineKey, int maxBytes, CancellationToken ct)
    {
        var c = await RequireAsync(machineKey, ct);
        var lines = Math.Max(MinConsoleLines, maxBytes / ConsoleBytesPerLine);
        // Without a TTY the engine multiplexes stdout and stderr in frames; the stream takes them apart.
        using var stream = await Engine.Containers.GetContainerLogsAsync(c.ID, c.Config?.Tty == true, new ContainerLogsParameters
        {
            ShowStdout = true, ShowStderr = true, Follow = false, Tail = lines.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, ct);
        var tail = new byte[maxBytes];
        long written = 0;
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, ct);
            if (read.EOF || read.Count == 0) break;
            // Only the last maxBytes matter: a ring, so memory stays bounded whatever the engine sends.
            for (var i = 0; i < read.Count; i++) tail[(written + i) % maxBytes] = buffer[i];
            written += read.Count;
        }
        return Utf8Tail(tail, written, maxBytes);
    }

    /// <summary>The ring's content in order as UTF-8 text, starting at a character boundary (the cut may
    /// have split a character: its remaining bytes are dropped rather than shown as garbage).</summary>
    private static string Utf8Tail(byte[] ring, long written, int maxBytes)
    {
        var length = (int)Math.Min(written, maxBytes);
        var ordered = new byte[length];
        var start = written > maxBytes ? (int)(written % maxBytes) : 0;
        for (var i = 0; i < length; i++) ordered[i] = ring[(start + i) % maxBytes];
        var skip = 0;
        if (written > maxBytes)
        {
            while (skip < length && skip < 3 && (ordered[skip] & 0xC0) == 0x80) skip++;
        }
        return Encoding.UTF8.GetString(ordered, skip, length - skip);
    }

    /// <summary>A container has its image's filesystem only: the configuration's disks are not made (the
    /// Volumes issue gives containers volumes). Said once per create, so an operator sees why.</summary>
    [LoggerMessage(Level = LogLevel.Information, Message = "{MachineKey}: the docker driver does not make the configuration's {Count} disks ({CapacityKiB} KiB); a container has its image's filesystem only")]
    private partial void LogDisksNotMade(string machineKey, int count, long capacityKiB);
}
