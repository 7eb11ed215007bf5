namespace CimiGrains.Agents.Qemu;

/// <summary>The QEMU driver's own settings (the agent's are in <see cref="AgentOptions"/>; its stop timeout
/// is the agent's <c>CIMI_AGENT_STOP_TIMEOUT</c>).</summary>
public sealed class QemuDriverOptions
{
    public const long DefaultConsoleBytes = 1024 * 1024;
    public const int DefaultUidBase = 200_000;

    /// <summary><c>CIMI_AGENT_QEMU</c>: the emulator binary (a name on PATH or a path).</summary>
    public string Binary { get; init; } = "qemu-system-x86_64";

    /// <summary><c>CIMI_AGENT_QEMU_ACCEL</c>: which accelerator to use.</summary>
    public QemuAcceleration Acceleration { get; init; } = QemuAcceleration.Auto;

    /// <summary><c>CIMI_AGENT_QEMU_IMAGES</c>: the host's image directory; <c>qemu:REFERENCE</c> is a path in it.</summary>
    public required string ImagesDirectory { get; init; }

    /// <summary><c>CIMI_AGENT_QEMU_DIR</c>: where each Machine's runtime directory is kept.</summary>
    public required string RuntimeDirectory { get; init; }

    /// <summary><c>CIMI_AGENT_QEMU_CONSOLE_BYTES</c>: the most a console log may grow before it is rotated.</summary>
    public long ConsoleBytes { get; init; } = DefaultConsoleBytes;

    /// <summary><c>CIMI_AGENT_QEMU_UID_BASE</c>: the first of the unprivileged uids (and gids) the VMs run as, one per Machine.</summary>
    public int UidBase { get; init; } = DefaultUidBase;

    /// <summary>Reads the settings; a bad value stops the agent with a message naming the setting.</summary>
    public static QemuDriverOptions FromEnvironment(string agentStateDirectory)
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;
        var accel = Env("CIMI_AGENT_QEMU_ACCEL")?.ToLowerInvariant() switch
        {
            null or "auto" => QemuAcceleration.Auto,
            "kvm" => QemuAcceleration.Kvm,
            "tcg" => QemuAcceleration.Tcg,
            _ => throw new InvalidOperationException($"CIMI_AGENT_QEMU_ACCEL='{Env("CIMI_AGENT_QEMU_ACCEL")}' is not an accelerator: write auto, kvm or tcg."),
        };
        var consoleBytes = DefaultConsoleBytes;
        if (Env("CIMI_AGENT_QEMU_CONSOLE_BYTES") is { } bytes && (!long.TryParse(bytes, out consoleBytes) || consoleBytes < 4096))
            throw new InvalidOperationException($"CIMI_AGENT_QEMU_CONSOLE_BYTES='{bytes}' is not valid: a byte count of at least 4096.");
        var uidBase = DefaultUidBase;
        // Far enough from 0 and the system's ordinary users, and room for many slots below 2^31.
        if (Env("CIMI_AGENT_QEMU_UID_BASE") is { } uid && (!int.TryParse(uid, out uidBase) || uidBase < 1000 || uidBase > 2_000_000_000))
            throw new InvalidOperationException($"CIMI_AGENT_QEMU_UID_BASE='{uid}' is not valid: a uid between 1000 and 2000000000.");
        return new QemuDriverOptions
        {
            Binary = Env("CIMI_AGENT_QEMU") ?? "qemu-system-x86_64",
            Acceleration = accel,
            ImagesDirectory = Absolute("CIMI_AGENT_QEMU_IMAGES", Env("CIMI_AGENT_QEMU_IMAGES") ?? Path.Combine(agentStateDirectory, "images")),
            RuntimeDirectory = Absolute("CIMI_AGENT_QEMU_DIR", Env("CIMI_AGENT_QEMU_DIR") ?? Path.Combine(agentStateDirectory, "qemu")),
            ConsoleBytes = consoleBytes,
            UidBase = uidBase,
        };
    }

    private static string Absolute(string name, string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new InvalidOperationException($"{name}='{path}' is not a directory path: {e.Message}");
        }
    }
}

/// <summary>How guests are run: <see cref="Auto"/> picks KVM only where a guest can really use it.</summary>
public enum QemuAcceleration
{
    Auto,
    Kvm,
    Tcg,
}
