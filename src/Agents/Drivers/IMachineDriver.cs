using CimiGrains.Agents.Protocol;

namespace CimiGrains.Agents.Drivers;

/// <summary>
/// What the agent needs from a way of running Machines (one folder per driver, which registers it by
/// name; <see cref="HostDrivers"/> routes to it). Every operation is idempotent: asking for the state the
/// workload is already in succeeds. Workloads are found by Machine key; the driver manages only workloads
/// it labelled with this agent's host id. Every failure of the driver's own runtime reaches the agent as
/// a <see cref="DriverException"/> (the driver translates its runtime's errors), so the agent's code
/// never knows which runtime is behind it.
/// </summary>
public interface IMachineDriver
{
    /// <summary>The driver's name: the image location scheme it runs (<see cref="CimiGrains.Hosts.ImageLocation"/>)
    /// and what the scheduler matches.</summary>
    string Name { get; }

    /// <summary>Where the driver keeps its workloads on this host (its disk is what the host offers);
    /// known once <see cref="CheckAvailableAsync"/> has succeeded.</summary>
    string StorageDirectory { get; }

    /// <summary>Fails (<see cref="DriverException"/>) when the driver cannot run here: its runtime is
    /// missing or not answering. Called once at start; a driver that fails it is not offered.</summary>
    Task CheckAvailableAsync(CancellationToken ct);

    Task<IReadOnlyList<WorkloadStatus>> ListAsync(CancellationToken ct);

    /// <summary>The Machine's workload, or a status with <see cref="ObservedState.Absent"/>.</summary>
    Task<WorkloadStatus> InspectAsync(string machineKey, CancellationToken ct);

    /// <summary>Creates the workload for <paramref name="generation"/> (replacing an older generation's,
    /// keeping one of the same or a newer generation) and starts it when the spec says so.</summary>
    Task<WorkloadStatus> CreateAsync(string machineKey, long generation, WorkloadSpec spec, CancellationToken ct);

    Task<WorkloadStatus> StartAsync(string machineKey, CancellationToken ct);

    Task<WorkloadStatus> StopAsync(string machineKey, bool force, CancellationToken ct);

    Task<WorkloadStatus> RestartAsync(string machineKey, bool force, CancellationToken ct);

    Task<WorkloadStatus> PauseAsync(string machineKey, CancellationToken ct);

    Task<WorkloadStatus> SuspendAsync(string machineKey, CancellationToken ct);

    /// <summary>Saves the workload as an image at <paramref name="imageLocation"/>; returns where it is.</summary>
    Task<string> CaptureAsync(string machineKey, string imageLocation, CancellationToken ct);

    /// <summary>Removes an image from the host unless workloads use it (whichever host they belong to).
    /// Returns the workloads (Machine keys, else container names) that use it: empty when the image is
    /// gone, including when it was not there.</summary>
    Task<IReadOnlyList<string>> RemoveImageAsync(string imageLocation, CancellationToken ct);

    /// <summary>Removes the workload and what belongs only to it.</summary>
    Task DeleteAsync(string machineKey, CancellationToken ct);

    /// <summary>Changes that happen to this host's workloads, as they happen.</summary>
    IAsyncEnumerable<WorkloadStatus> WatchAsync(CancellationToken ct);

    /// <summary>What this driver tells the cluster about itself on this host, merged into the agent's
    /// registration labels (shown in host information): e.g. <c>qemu.accelerator=tcg</c>. Keys start
    /// with the driver's name.</summary>
    IReadOnlyDictionary<string, string> Labels => new Dictionary<string, string>();

    /// <summary>Whether the image at <paramref name="imageLocation"/> is on this host, ready to boot.</summary>
    Task<bool> HasImageAsync(string imageLocation, CancellationToken ct) =>
        throw new DriverException($"The {Name} driver cannot tell whether an image is on this host.");

    /// <summary>Writes the image at <paramref name="imageLocation"/> as one portable file (the driver's own
    /// archive format) to <paramref name="destination"/>, so that <see cref="ImportImageAsync"/> on any host
    /// recreates it under the same location.</summary>
    Task ExportImageAsync(string imageLocation, Stream destination, CancellationToken ct) =>
        throw new DriverException($"The {Name} driver cannot export images.");

    /// <summary>Makes the image at <paramref name="imageLocation"/> available on this host from a file that
    /// <see cref="ExportImageAsync"/> wrote (on this host or another).</summary>
    Task ImportImageAsync(string imageLocation, Stream source, CancellationToken ct) =>
        throw new DriverException($"The {Name} driver cannot import images.");

    /// <summary>The last <paramref name="maxBytes"/> bytes (at most) of the Machine's console output (a VM's
    /// serial console, a container's output), as UTF-8 text; empty when it has written nothing.</summary>
    Task<string> ReadConsoleAsync(string machineKey, int maxBytes, CancellationToken ct) =>
        throw new DriverException($"The {Name} driver keeps no console log.");

    /// <summary>Attaches <paramref name="volume"/> to the Machine's workload, live when it runs (a container:
    /// mounted at its <c>initialLocation</c>; a VM: hot-plugged), and keeps it attached across the workload's
    /// restarts. Idempotent; a driver that cannot attach in the workload's state says why.</summary>
    Task<WorkloadStatus> AttachVolumeAsync(string machineKey, AttachedVolume volume, CancellationToken ct) =>
        throw new DriverException($"The {Name} driver cannot attach volumes.");

    /// <summary>Detaches the Volume <paramref name="volumeKey"/> from the Machine's workload (unmounted,
    /// hot-unplugged) and forgets it; detaching one that is not attached succeeds.</summary>
    Task<WorkloadStatus> DetachVolumeAsync(string machineKey, string volumeKey, CancellationToken ct) =>
        throw new DriverException($"The {Name} driver cannot detach volumes.");

    /// <summary>Plugs <paramref name="nic"/> into the Machine's workload, live when it runs (a container: a veth
    /// into its namespace; a VM: a tap and a hot-plugged virtio-net device), and keeps it plugged across the
    /// workload's restarts. Idempotent; a driver that cannot do it in the workload's state says why.</summary>
    Task<WorkloadStatus> AttachNetworkInterfaceAsync(string machineKey, CimiGrains.Agents.Networks.NetworkPlaneInterface nic, CancellationToken ct) =>
        throw new DriverException($"The {Name} driver cannot attach network interfaces.");

    /// <summary>Unplugs the interface <paramref name="interfaceId"/> and forgets it; one that is not plugged succeeds.</summary>
    Task<WorkloadStatus> DetachNetworkInterfaceAsync(string machineKey, string interfaceId, CancellationToken ct) =>
        throw new DriverException($"The {Name} driver cannot detach network interfaces.");

    /// <summary>What the host accounts to each of this driver's running workloads now (docs/METERS.md); a
    /// driver that cannot measure returns none, and its Machines' Meters get no samples.</summary>
    Task<IReadOnlyList<WorkloadCounters>> ReadCountersAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<WorkloadCounters>>([]);
}
