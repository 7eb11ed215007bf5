namespace CimiGrains.Hosts;

/// <summary>What a new Machine needs from a host. <see cref="DiskKiB"/> is the sum of its disks' capacities
/// (0 when it names none). <see cref="PlacementGroup"/> is the grain-key prefix of the Machines placed together with it
/// (a System's), and <see cref="PlacementPolicy"/> how (<see cref="Systems.SystemPlacement"/>; null: spread).</summary>
[GenerateSerializer, Immutable, Alias("cimi.PlacementRequest")]
public sealed record PlacementRequest(
    [property: Id(0)] string MachineKey,
    [property: Id(1)] int Cpu,
    [property: Id(2)] long MemoryKiB,
    [property: Id(3)] string Driver,
    [property: Id(4)] long DiskKiB = 0,
    [property: Id(5)] string? RequiredHostId = null,
    [property: Id(6)] string? PlacementGroup = null,
    [property: Id(7)] string? PlacementPolicy = null,
    [property: Id(8)] string? PreferredHostId = null);

/// <summary>
/// The chosen host, or null with the reason no host fits. <see cref="RetryAfter"/>, when set, says the
/// scheduler may not have heard from every host yet: ask again after that long instead of failing.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.Placement")]
public sealed record Placement(
    [property: Id(0)] string? HostId,
    [property: Id(1)] string? Reason,
    [property: Id(2)] TimeSpan? RetryAfter = null);

/// <summary>
/// A host as the scheduler knows it. <see cref="Volumes"/> are the Volumes placed in its volume pool
/// (<see cref="VolumePoolKiB"/>), each with its capacity in KiB. <see cref="CpuAllocationRatio"/> and <see cref="MemoryAllocationRatio"/>
/// are the host's own overrides of the deployment's ratios (null: the deployment's apply). <see cref="ReconnectingUntil"/>, while in the future and the host
/// is not connected, says its agent's session dropped (or its host grain moved) and the agent is
/// expected back: operations for it wait until then rather than fail.
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.HostInfo")]
public sealed record HostInfo(
    [property: Id(0)] string HostId,
    [property: Id(1)] bool Connected,
    [property: Id(2)] int Cpu,
    [property: Id(3)] long MemoryKiB,
    [property: Id(4)] IReadOnlyList<string> Drivers,
    [property: Id(5)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(6)] IReadOnlyDictionary<string, MachineShare>? Allocated = null,
    [property: Id(7)] DateTimeOffset? ReconnectingUntil = null,
    [property: Id(8)] long DiskKiB = 0,
    [property: Id(9)] double? CpuAllocationRatio = null,
    [property: Id(10)] double? MemoryAllocationRatio = null,
    [property: Id(11)] string? AgentVersion = null,
    [property: Id(12)] long VolumePoolKiB = 0,
    [property: Id(13)] IReadOnlyDictionary<string, long>? Volumes = null)
{
    /// <summary>Whether the host is away but expected back at <paramref name="now"/>.</summary>
    public bool IsReconnecting(DateTimeOffset now) => !Connected && ReconnectingUntil > now;
}

/// <summary>What one placed Machine takes from its host's capacity (disk 0: none accounted).</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineShare")]
public sealed record MachineShare([property: Id(0)] int Cpu, [property: Id(1)] long MemoryKiB, [property: Id(2)] long DiskKiB = 0);

/// <summary>What an agent says about its host when it connects. The allocation ratios, when set, override
/// the deployment's for this host (how far its CPUs and memory may be overcommitted).</summary>
[GenerateSerializer, Immutable, Alias("cimi.HostRegistration")]
public sealed record HostRegistration(
    [property: Id(0)] string HostId,
    [property: Id(1)] int Cpu,
    [property: Id(2)] long MemoryKiB,
    [property: Id(3)] long DiskKiB,
    [property: Id(4)] IReadOnlyList<string> Drivers,
    [property: Id(5)] IReadOnlyDictionary<string, string> Labels,
    [property: Id(6)] string AgentVersion,
    [property: Id(7)] double? CpuAllocationRatio = null,
    [property: Id(8)] double? MemoryAllocationRatio = null,
    [property: Id(9)] long VolumePoolKiB = 0,
    [property: Id(10)] string? UnderlayAddress = null,
    [property: Id(11)] string? NbdHost = null);

/// <summary>What a Machine decides about a workload its host reported at (re)connection.</summary>
[GenerateSerializer]
public enum HostAdoption
{
    /// <summary>The workload belongs to a live Machine placed on that host: the Machine adopts it.</summary>
    Keep,
    /// <summary>No live Machine owns it here (deleted, or placed elsewhere): the host must remove it.</summary>
    Remove,
}

/// <summary>What the Machine wants its host to make real.</summary>
[GenerateSerializer, Immutable, Alias("cimi.MachineSpec")]
public sealed record MachineSpec(
    [property: Id(0)] string ImageLocation,
    [property: Id(1)] int Cpu,
    [property: Id(2)] long MemoryKiB,
    [property: Id(3)] string? AdminUserName,
    [property: Id(4), SecretAtRest] string? AdminPassword,
    [property: Id(5)] string? AdminKey,
    [property: Id(6), SecretAtRest] string? UserData,
    [property: Id(7)] string TenantId,
    [property: Id(8)] bool StartAfterCreate,
    [property: Id(9)] long DiskKiB = 0,
    [property: Id(10)] IReadOnlyList<DiskSpec>? Disks = null,
    [property: Id(11)] IReadOnlyList<VolumeAttachment>? Volumes = null,
    [property: Id(12)] IReadOnlyList<NetworkInterfaceSpec>? NetworkInterfaces = null);

/// <summary>What a Volume is on its host: capacity in KiB (CIMI's KB), its format (<c>ext4</c>: a file
/// system; <c>raw</c>, <c>qcow2</c>: a bare block device), and its initial content, an image location in
/// the cluster image store (null: blank).</summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeSpec")]
public sealed record VolumeSpec(
    [property: Id(0)] long CapacityKiB,
    [property: Id(1)] string Format,
    [property: Id(2)] string TenantId,
    [property: Id(3)] string? ImageLocation,
    [property: Id(4)] bool Bootable);

/// <summary>
/// A Volume as one Machine uses it: the Volume's key, where the consumer asked it to appear, whether
/// read-only, its format and capacity, and <see cref="HostId"/>, the host whose pool holds it. When that
/// is not the Machine's host, <see cref="NbdAddress"/> and <see cref="NbdExport"/> say where the owning
/// host exports it, and <see cref="NbdIdentity"/> and <see cref="NbdPsk"/> how the Machine's host authenticates
/// (TLS with a pre-shared key of its own, docs/VOLUMES.md).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.VolumeAttachment")]
public sealed record VolumeAttachment(
    [property: Id(0)] string VolumeKey,
    [property: Id(1)] string? InitialLocation,
    [property: Id(2)] bool ReadOnly,
    [property: Id(3)] string Format,
    [property: Id(4)] long CapacityKiB,
    [property: Id(5)] string HostId,
    [property: Id(6)] string? NbdAddress = null,
    [property: Id(7)] string? NbdExport = null,
    [property: Id(8)] string? NbdIdentity = null,
    [property: Id(9), SecretAtRest] string? NbdPsk = null);

/// <summary>One disk of the Machine's configuration, as the host makes it: capacity in KiB (CIMI's KB), the
/// format CIMI names (null: the driver's choice) and the consumer's <c>initialLocation</c>. A spec stored
/// before disks were carried has none (null); <see cref="MachineSpec.DiskKiB"/> still holds their sum.</summary>
[GenerateSerializer, Immutable, Alias("cimi.DiskSpec")]
public sealed record DiskSpec(
    [property: Id(0)] long CapacityKiB,
    [property: Id(1)] string? Format,
    [property: Id(2)] string? InitialLocation);

/// <summary>
/// The kinds of resource a host realizes (every one has a grain that takes <see cref="HostReport"/>s).
/// Machine is the zero value: records and wire messages from before kinds existed are about Machines.
/// </summary>
[GenerateSerializer]
public enum HostedKind { Machine = 0, Volume = 1 }

/// <summary>Host commands. Create makes the workload (and starts it when the spec says so). AttachVolume and
/// DetachVolume are Machine commands carrying <see cref="HostCommand.Attachment"/>; AttachNetworkInterface and
/// DetachNetworkInterface carry <see cref="HostCommand.NetworkInterface"/>. The values are the wire's.</summary>
[GenerateSerializer]
public enum HostCommandKind
{
    Create, Start, Stop, Restart, Pause, Suspend, Capture, Delete, AttachVolume, DetachVolume,
    AttachNetworkInterface, DetachNetworkInterface,
}

/// <summary>
/// A command for one hosted resource: <see cref="Resource"/> and <see cref="ResourceKey"/> (its grain
/// key). <see cref="Generation"/> fences it: a host ignores a command whose generation is older than the
/// newest it has seen for that resource. The spec is the one of the resource's kind (<see cref="Spec"/>
/// for a Machine; another kind adds its own field, as the proto's <c>resource_spec</c> oneof does).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.HostCommand")]
public sealed record HostCommand(
    [property: Id(0)] string CommandId,
    [property: Id(1)] string ResourceKey,
    [property: Id(2)] long Generation,
    [property: Id(3)] HostCommandKind Kind,
    [property: Id(4)] MachineSpec? Spec,
    [property: Id(5)] bool Force,
    [property: Id(6)] string? CaptureImageLocation,
    [property: Id(7)] HostedKind Resource = HostedKind.Machine,
    [property: Id(8)] VolumeSpec? Volume = null,
    [property: Id(9)] VolumeAttachment? Attachment = null,
    [property: Id(10)] NetworkInterfaceSpec? NetworkInterface = null);

/// <summary>The workload's state as a host sees it.</summary>
[GenerateSerializer]
public enum ObservedState { Absent, Created, Running, Paused, Stopped, Failed }

/// <summary>A host's word about one hosted resource (<see cref="Resource"/>, <see cref="ResourceKey"/>): the
/// outcome of a command, or a change it observed.</summary>
[GenerateSerializer, Immutable, Alias("cimi.HostReport")]
public sealed record HostReport(
    [property: Id(0)] string HostId,
    [property: Id(1)] string ResourceKey,
    [property: Id(2)] long Generation,
    [property: Id(3)] ObservedState State,
    [property: Id(4)] string? CommandId,
    [property: Id(5)] bool? CommandSucceeded,
    [property: Id(6)] string? Message,
    [property: Id(7)] string? ResultImageLocation,
    [property: Id(8)] HostedKind Resource = HostedKind.Machine);

/// <summary>Where an image removal stands on a host.</summary>
[GenerateSerializer]
public enum HostImageState
{
    /// <summary>The image is gone from the host (or was never there).</summary>
    Removed,
    /// <summary>Kept while containers use it; the agent removes it when the last one is deleted.</summary>
    InUse,
    /// <summary>The engine refused for another reason; asked again at the next session.</summary>
    Failed,
}

/// <summary>A host's word about an image the cluster asked it to remove.</summary>
[GenerateSerializer, Immutable, Alias("cimi.HostImageStatus")]
public sealed record HostImageStatus(
    [property: Id(0)] string HostId,
    [property: Id(1)] string ImageLocation,
    [property: Id(2)] HostImageState State,
    [property: Id(3)] IReadOnlyList<string> UsedBy,
    [property: Id(4)] string? Message);

/// <summary>The Machines and Volumes a host holds (their <c>{tenantId}/{localId}</c> keys).</summary>
[GenerateSerializer, Immutable, Alias("cimi.PlacedResources")]
public sealed record PlacedResources([property: Id(0)] IReadOnlyList<string> Machines, [property: Id(1)] IReadOnlyList<string> Volumes);
