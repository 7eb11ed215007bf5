using CimiGrains.Hosts;

namespace CimiGrains.Grains.Hosts;

/// <summary>What a host grain persists: the host as its agent last described it and the Machines
/// and Volumes placed on it. Connectivity is not persisted: after a reactivation the host is disconnected until its
/// agent's session calls in again (which it does at once if it is alive).</summary>
[GenerateSerializer, Alias("cimi.state.Host")]
public sealed class HostGrainState
{
    [Id(0)] public HostRegistration? Registration { get; set; }

    [Id(1)] public Dictionary<string, MachineShare> Machines { get; set; } = new(StringComparer.Ordinal);

    [Id(2)] public DateTimeOffset? LastConnected { get; set; }

    /// <summary>Images to remove from this host (captures of deleted MachineImages), until the agent
    /// reports each gone.</summary>
    [Id(3)] public HashSet<string> ImagesToRemove { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The Volumes placed in this host's volume pool, by key, with their capacity (KiB): what the
    /// scheduler counts against the pool, kept from the create command until the Volume is forgotten.</summary>
    [Id(4)] public Dictionary<string, long> Volumes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The newest view of each Network with a port on this host (or just gone from it), by Network key:
    /// sent to the agent at every session; a removal (Present false) is dropped once the agent's session took it.</summary>
    [Id(5)] public Dictionary<string, NetworkHostView> Networks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The version of the removal last sent for each Network whose view was dropped, while the agent may still
    /// have its bridge: an older view is still ignored, and an inventory listing the Network is answered with that
    /// removal again (at the version the agent applies). Forgotten once an inventory no longer lists the Network.</summary>
    [Id(6)] public Dictionary<string, long> RemovedNetworks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The Volumes of this host's pool served over NBD to VMs elsewhere, by Volume key (HostGrain.Exports.cs).</summary>
    [Id(7)] public Dictionary<string, VolumeExport> Exports { get; set; } = new(StringComparer.Ordinal);
}
