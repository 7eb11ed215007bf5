using System.Runtime.CompilerServices;
using CimiGrains.Agents.Drivers;
using Docker.DotNet;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// The Docker driver as the agent sees it: every failure of the engine or of the way to it leaves as a
/// <see cref="DriverException"/> carrying the engine's own words, so the agent's driver-neutral code
/// catches one exception type whatever runtime is behind a driver.
/// </summary>
public sealed class DockerErrors(DockerDriver driver, DockerDriverOptions options) : IMachineDriver
{
    public string Name => driver.Name;

    public string StorageDirectory => driver.StorageDirectory;

    public IReadOnlyDictionary<string, string> Labels => driver.Labels;

    public Task CheckAvailableAsync(CancellationToken ct) => Run(async () =>
    {
        try
        {
            await driver.CheckAvailableAsync(ct);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or TimeoutException or IOException)
        {
            throw new DriverException($"the Docker engine at {options.Endpoint} is not usable: {e.Message} (scripts/docker.sh ensure starts it).", e);
        }
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

    public Task DeleteAsync(string machineKey, CancellationToken ct) => Run(async () =>
    {
        await driver.DeleteAsync(machineKey, ct);
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
        catch (DockerApiException e)
        {
            throw new DriverException($"Docker: {(e.ResponseBody is { Length: > 0 } body ? body.Trim() : e.Message)}", e);
        }
        catch (HttpRequestException e)
        {
            throw new DriverException($"The Docker engine did not answer: {e.Message}", e);
        }
    }
}
