using System.Runtime.CompilerServices;
using CimiGrains.Agents.Drivers;

namespace CimiGrains.Agents.Qemu;

/// <summary>
/// The QEMU driver as the agent sees it: failures of the host underneath (files, sockets, the tools'
/// output) leave as <see cref="DriverException"/>s with their own words, as every driver's do.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class QemuErrors(QemuDriver driver) : IMachineDriver
{
    public string Name => driver.Name;

    public string StorageDirectory => driver.StorageDirectory;

    public IReadOnlyDictionary<string, string> Labels => driver.Labels;

    public Task CheckAvailableAsync(CancellationToken ct) => Run(async () =>
    {
        await driver.CheckAvailableAsync(ct);
        return true;
    });

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

    public Task DeleteAsync(string machineKey, CancellationToken ct) => Run(async () =>
    {
        await driver.DeleteAsync(machineKey, ct);
        return true;
    });

    public Task<bool> HasImageAsync(string imageLocation, CancellationToken ct) => Run(() => driver.HasImageAsync(imageLocation, ct));

    public Task ExportImageAsync(string imageLocation, Stream destination, CancellationToken ct) => Run(async () =>
    {
        await driver.ExportImageAsync(imageLocation, destination, ct);
        return true;
    });

    public Task ImportImageAsync(string imageLocation, Stream source, CancellationToken ct) => Run(async () =>
    {
        await driver.ImportImageAsync(imageLocation, source, ct);
        return true;
    });

    public Task<string> ReadConsoleAsync(string machineKey, int maxBytes, CancellationToken ct) =>
        Run(() => driver.ReadConsoleAsync(machineKey, maxBytes, ct));

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

    private static async Task<T> Run<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException
            or System.Text.Json.JsonException or FormatException or InvalidOperationException)
        {
            throw new DriverException($"QEMU driver: {e.Message}", e);
        }
    }
}
