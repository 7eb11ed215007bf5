namespace CimiGrains.Agents.Volumes;

/// <summary>
/// Where the host's volume pool is and what it offers: <c>CIMI_AGENT_VOLUME_POOL</c> (a directory, default
/// <c>{state directory}/volumes</c>) and <c>CIMI_AGENT_VOLUME_POOL_KIB</c> (default: the size of the file
/// system holding it). Read and checked once at start: a bad value stops the agent naming the setting.
/// </summary>
public sealed class VolumePoolOptions
{
    /// <summary>The pool's directory, absolute; it exists once the options are read.</summary>
    public required string Directory { get; init; }

    /// <summary>The capacity the operator set, or null when the default (the file system's size) applies.</summary>
    public long? ConfiguredKiB { get; init; }

    /// <summary>The size of the file system holding <see cref="Directory"/>, in KiB.</summary>
    public required long FileSystemKiB { get; init; }

    /// <summary><c>CIMI_AGENT_NBD_HOST</c>: the name or address other hosts reach this host's NBD exports at (null:
    /// it exports no Volumes, so only VMs on this host attach them).</summary>
    public string? NbdHost { get; init; }

    /// <summary><c>CIMI_AGENT_NBD_LISTEN</c>: the address the exports listen on (default: <see cref="NbdHost"/>).</summary>
    public string? NbdListen { get; init; }

    public static VolumePoolOptions FromEnvironment(string agentStateDirectory)
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;
        var given = Env("CIMI_AGENT_VOLUME_POOL");
        string directory;
        try
        {
            directory = Path.GetFullPath(given ?? Path.Combine(agentStateDirectory, "volumes"));
            System.IO.Directory.CreateDirectory(directory);
            // The pool must be writable by the agent: find out now, not at the first create.
            var probe = Path.Combine(directory, $".probe-{Guid.NewGuid():N}.tmp");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidOperationException(
                $"CIMI_AGENT_VOLUME_POOL='{given ?? Path.Combine(agentStateDirectory, "volumes")}' cannot be used as the volume pool: {e.Message}");
        }
        long fileSystemKiB;
        try
        {
            fileSystemKiB = new DriveInfo(directory).TotalSize / 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"CIMI_AGENT_VOLUME_POOL='{directory}': the size of its file system cannot be read ({e.Message}).");
        }
        long? configured = null;
        if (Env("CIMI_AGENT_VOLUME_POOL_KIB") is { } text)
        {
            if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var kib) || kib <= 0)
                throw new InvalidOperationException($"CIMI_AGENT_VOLUME_POOL_KIB='{text}' is not valid: a number of KiB greater than 0.");
            // Volumes are files of exactly their capacity: a pool promising more than its file system holds
            // would let a workload's write fail in the host's file system instead of inside its own Volume.
            if (kib > fileSystemKiB)
                throw new InvalidOperationException(
                    $"CIMI_AGENT_VOLUME_POOL_KIB={kib} is more than the file system holding {directory} has ({fileSystemKiB} KiB).");
            configured = kib;
        }
        var nbdHost = Env("CIMI_AGENT_NBD_HOST");
        if (nbdHost is not null && (nbdHost.Any(c => char.IsWhiteSpace(c) || c is ',' or '/') || nbdHost.Length > 253))
            throw new InvalidOperationException($"CIMI_AGENT_NBD_HOST='{nbdHost}' is not a host name or address.");
        return new VolumePoolOptions
        {
            Directory = directory, ConfiguredKiB = configured, FileSystemKiB = fileSystemKiB,
            NbdHost = nbdHost, NbdListen = Env("CIMI_AGENT_NBD_LISTEN") ?? nbdHost?.Trim('[', ']'),
        };
    }
}
