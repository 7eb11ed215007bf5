namespace CimiGrains.Agents.Volumes;

/// <summary>
/// The host's storage pool for Volumes (a directory): where each Volume's file is, for the drivers that
/// attach it. The pool owns the files (create, delete, capture, import); drivers only open them.
/// </summary>
public interface IVolumePool
{
    /// <summary>The pool's directory; known once the agent has started.</summary>
    string Directory { get; }

    /// <summary>What the pool offers, in KiB (reported at registration; the cluster accounts what it places).</summary>
    long CapacityKiB { get; }

    /// <summary>The file that holds Volume <paramref name="volumeKey"/> on this host, or null when this host's
    /// pool does not hold it.</summary>
    string? PathOf(string volumeKey);

    /// <summary>The format the Volume's file was made in (<c>ext4</c>, <c>raw</c>, <c>qcow2</c>), or null when
    /// this host's pool does not hold it.</summary>
    string? FormatOf(string volumeKey);
}
