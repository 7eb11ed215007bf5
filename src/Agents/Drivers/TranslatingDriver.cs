using System.Runtime.CompilerServices;

namespace CimiGrains.Agents.Drivers;

/// <summary>
/// A driver as the agent sees it: every call forwarded to the driver itself, and every failure of its
/// runtime turned into a <see cref="DriverException"/> in the runtime's own words by <see cref="Translate"/>,
/// so the agent's driver-neutral code catches one exception type whatever runtime is behind a driver.
/// Each driver's folder registers a subclass that says which of its runtime's exceptions mean what.
/// </summary>
public abstract class TranslatingDriver(IMachineDriver driver) : IMachineDriver
{
    public string Name => driver.Name;

    public string StorageDirectory => driver.StorageDirectory;

    public IReadOnlyDictionary<string, string> Labels => driver.Labels;

    /// <summary>The <see cref="DriverException"/> for a failure of the runtime, or null to let it pass.</summary>
    protected abstract DriverException? Translate(Exception e);

    public virtual Task CheckAvailableAsync(CancellationToken ct) => Run(() => driver.CheckAvailableAsync(ct));

    public Task<IReadOnlyList<WorkloadStatus>> ListAsync(CancellationToken ct) => Run(() => driver.ListAsync(ct));

    public Task<WorkloadStatus> InspectAsync(string machineKey, CancellationToken ct) => Run(() => driver.InspectAsync(machineKey, ct));

    public Task<WorkloadStatus> CreateAsync(string machineKey, long generation, WorkloadSpec spec, CancellationToken ct) =>
        Run(() => driver.CreateAsync(machineKey, generation, spec, ct));

    public Task<WorkloadStatus> StartAsync(string machineKey, CancellationToken ct) => Run(() => driver.StartAsync(machineKey, ct));

    public Task<WorkloadStatus> StopAsync(string machineKey, bool force, CancellationToken ct) => Run(() => driver.StopAsync(machineKey, force, ct));

    public Task<WorkloadStatus> RestartAsync(string machineKey, bool force, CancellationToken ct) => Run(() => driver.RestartAsync(machineKey, force, ct));

    public Task<WorkloadStatus> PauseAsync(string machineKey, CancellationToken ct) => Run(() => driver.PauseAsync(machineKey, ct));

    public Task<WorkloadStatus> SuspendAsync(string machineKey, CancellationToken ct) => Run(() => driver.SuspendAsync(machineKey, ct));

    public Task<string> CaptureAsync(string machineKey, string imageLocation, CancellationToken ct) =>
        Run(() => driver.CaptureAsync(machineKey, imageLocation, ct));

    public Task<IReadOnlyList<string>> RemoveImageAsync(string imageLocation, CancellationToken ct) =>
        Run(() => driver.RemoveImageAsync(imageLocation, ct));

    public Task DeleteAsync(string machineKey, CancellationToken ct) => Run(() => driver.DeleteAsync(machineKey, ct));

    public Task<bool> HasImageAsync(string imageLocation, CancellationToken ct) => Run(() => driver.HasImageAsync(imageLocation, ct));

    public Task<IReadOnlyList<WorkloadCounters>> ReadCountersAsync(CancellationToken ct) => Run(() => driver.ReadCountersAsync(ct));

    public Task ExportImageAsync(string imageLocation, Stream destination, CancellationToken ct) =>
        Run(() => driver.ExportImageAsync(imageLocation, destination, ct));

    public Task ImportImageAsync(string imageLocation, Stream source, CancellationToken ct) =>
        Run(() => driver.ImportImageAsync(imageLocation, source, ct));

    public Task<string> ReadConsoleAsync(string machineKey, int maxBytes, CancellationToken ct) =>
        Run(() => driver.ReadConsoleAsync(machineKey, maxBytes, ct));

    public Task<WorkloadStatus> AttachVolumeAsync(string machineKey, AttachedVolume volume, CancellationToken ct) =>
        Run(() => driver.AttachVolumeAsync(machineKey, volume, ct));

    public Task<WorkloadStatus> DetachVolumeAsync(string machineKey, string volumeKey, CancellationToken ct) =>
        Run(() => driver.DetachVolumeAsync(machineKey, volumeKey, ct));

    public Task<WorkloadStatus> AttachNetworkInterfaceAsync(string machineKey, CimiGrains.Agents.Networks.NetworkPlaneInterface nic, CancellationToken ct) =>
        Run(() => driver.AttachNetworkInterfaceAsync(machineKey, nic, ct));

    public Task<WorkloadStatus> DetachNetworkInterfaceAsync(string machineKey, string interfaceId, CancellationToken ct) =>
        Run(() => driver.DetachNetworkInterfaceAsync(machineKey, interfaceId, ct));

    public async IAsyncEnumerable<WorkloadStatus> WatchAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await using var changes = driver.WatchAsync(ct).GetAsyncEnumerator(ct);
        while (true)
        {
            var more = await Run(async () => await changes.MoveNextAsync());
            if (!more) yield break;
            yield return changes.Current;
        }
    }

    protected async Task Run(Func<Task> action) => await Run(async () =>
    {
        await action();
        return true;
    });

    protected async Task<T> Run<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is not DriverException && Translate(e) is { } translated)
        {
            throw translated;
        }
    }
}
