using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Networks;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// The network interfaces of one Machine's container, kept by the agent in its state directory
/// (<c>&lt;state&gt;/docker-networks/&lt;container name&gt;.json</c>), outside the container: the engine knows
/// nothing of them (the container has no networking of the engine's), and every start gives the container a new
/// network namespace, into which the driver plugs them again from this record, also after an agent restart.
/// Written atomically (temp file and rename) before the container or the plane is touched.
/// </summary>
public sealed record ContainerNetworkRecord
{
    public required string MachineKey { get; init; }
    public IReadOnlyList<NetworkPlaneInterface> Interfaces { get; init; } = [];

    public static ContainerNetworkRecord? Read(string file) => RecordFiles.Read<ContainerNetworkRecord>(file, "network record");

    public void Write(string file)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        RecordFiles.Write(file, this);
    }
}
