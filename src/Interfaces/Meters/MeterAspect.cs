namespace CimiGrains.Meters;

/// <summary>
/// One measurable property a host samples: its aspect URI (a Meter's <c>aspect</c>), the short name the
/// agents and the samples table use, its units, and the resource types that offer it. DSP0263 1.x names no
/// aspect URIs, so CimiGrains defines its own under <see cref="UriPrefix"/> (docs/METERS.md).
/// </summary>
public sealed record MeterAspect(string Name, string Units, string Description, IReadOnlyList<string> ResourceTypes)
{
    public const string UriPrefix = "urn:cimigrains:meter:aspect:";

    public string Uri => UriPrefix + Name;

    /// <summary>CPU time used per wall-clock time, in percent of one host CPU (a Machine with 2 busy CPUs shows 200).</summary>
    public static readonly MeterAspect CpuUtilization = new("cpu.utilization", "percent",
        "CPU time the Machine used per second of wall-clock time, in percent of one host CPU; for a System, the sum over its Machines.", ["Machine", "System"]);

    /// <summary>Memory in use as the host accounts it (the container's cgroup, the VM process's resident set).</summary>
    public static readonly MeterAspect MemoryUsed = new("memory.used", "byte",
        "Memory in use as the host accounts it: the container's cgroup usage, the QEMU process's resident set; for a System, the sum over its Machines.",
        ["Machine", "System"]);

    public static readonly MeterAspect DiskRead = new("disk.read", "byte/s",
        "Bytes read per second: from a Machine's block devices; from a Volume's file by the loop devices of the containers that mount it; " +
        "for a System, the sum over its Machines.", ["Machine", "Volume", "System"]);

    public static readonly MeterAspect DiskWrite = new("disk.write", "byte/s",
        "Bytes written per second: to a Machine's block devices; to a Volume's file by the loop devices of the containers that mount it; " +
        "for a System, the sum over its Machines.", ["Machine", "Volume", "System"]);

    /// <summary>What a Volume occupies in its host's pool: the allocated blocks of its sparse file.</summary>
    public static readonly MeterAspect VolumeUsed = new("volume.used", "byte",
        "Bytes the Volume occupies in its host's pool (the allocated blocks of its sparse file): it grows with what the workload " +
        "writes, file system metadata included, and shrinks only when freed blocks are discarded.", ["Volume"]);

    public static readonly MeterAspect NetworkReceived = new("network.received", "byte/s",
        "Bytes received per second: by the Machine's network interfaces; by the workload behind a NetworkPort (what its host device sent); " +
        "for a System, the sum over its Machines; for a Network, over its NetworkPorts.", ["Machine", "System", "NetworkPort", "Network"]);

    public static readonly MeterAspect NetworkTransmitted = new("network.transmitted", "byte/s",
        "Bytes transmitted per second: by the Machine's network interfaces; by the workload behind a NetworkPort (what its host device " +
        "received); for a System, the sum over its Machines; for a Network, over its NetworkPorts.", ["Machine", "System", "NetworkPort", "Network"]);

    public static readonly MeterAspect PacketsReceived = new("network.packets.received", "packet/s",
        "Packets the workload behind a NetworkPort received per second; for a Network, the sum over its NetworkPorts.", ["NetworkPort", "Network"]);

    public static readonly MeterAspect PacketsTransmitted = new("network.packets.transmitted", "packet/s",
        "Packets the workload behind a NetworkPort transmitted per second; for a Network, the sum over its NetworkPorts.", ["NetworkPort", "Network"]);

    public static IReadOnlyList<MeterAspect> All { get; } =
        [CpuUtilization, MemoryUsed, DiskRead, DiskWrite, NetworkReceived, NetworkTransmitted, PacketsReceived, PacketsTransmitted, VolumeUsed];

    /// <summary>The aspect a URI names, or null.</summary>
    public static MeterAspect? ForUri(string? uri) => All.FirstOrDefault(a => string.Equals(a.Uri, uri, StringComparison.Ordinal));

    public static MeterAspect? ForName(string? name) => All.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.Ordinal));

    /// <summary>The aspects a resource type offers.</summary>
    public static IEnumerable<MeterAspect> OfferedBy(string typeName) => All.Where(a => a.ResourceTypes.Contains(typeName));
}
