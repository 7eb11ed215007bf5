using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// The Volumes of one Machine's container, kept by the agent in its state directory
/// (<c>&lt;state&gt;/docker-volumes/&lt;container name&gt;.json</c>), outside the container: a workload cannot edit
/// what the agent mounts into it. <see cref="Attached"/> is what is attached now (what the agent mounts after
/// every start, and reports); <see cref="Binds"/> are the bind mounts the engine was given when the container
/// was made (a container's mounts cannot change afterwards), each served from its own host directory that
/// is bound to the Volume while attached and holds an empty read-only placeholder once detached.
/// Written atomically (temp file and rename) before the host or the container is touched.
/// </summary>
public sealed record ContainerVolumeRecord
{
    public required string MachineKey { get; init; }
    public IReadOnlyList<AttachedVolume> Attached { get; init; } = [];
    public IReadOnlyList<ContainerBind> Binds { get; init; } = [];

    /// <summary>The bind the engine was given for <paramref name="volume"/> at this location, if any.</summary>
    public ContainerBind? BindOf(AttachedVolume volume) =>
        Binds.FirstOrDefault(b => b.VolumeKey == volume.VolumeKey && b.Target == volume.InitialLocation);

    public static ContainerVolumeRecord? Read(string file) => RecordFiles.Read<ContainerVolumeRecord>(file, "volume record");

    public void Write(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        RecordFiles.Write(file, this);
    }
}

/// <summary>A bind mount the engine gives the container: from <see cref="Source"/> (a host directory of this
/// Machine's, under the agent's state directory) to <see cref="Target"/> in the container.</summary>
public sealed record ContainerBind(string VolumeKey, string Source, string Target, bool ReadOnly);
