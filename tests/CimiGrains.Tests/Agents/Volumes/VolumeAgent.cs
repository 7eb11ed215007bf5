using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CimiGrains.Agents.Protocol;
using ResourceKind = CimiGrains.Agents.Protocol.ResourceKind;

namespace CimiGrains.Tests.Agents.Volumes;

/// <summary>
/// A real agent with a volume pool of its own (a fresh state directory and pool directory), talking to a
/// <see cref="FakeController"/> that also plays the image store. Restartable: the directories outlive the process.
/// </summary>
public sealed class VolumeAgent : IAsyncDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cimi-volume-pool-");
    private readonly Dictionary<string, string> _environment;
    private AgentProcess? _process;

    private VolumeAgent(FakeController controller, FakeVolumeImageStore images, long? poolKiB, string? nbdHost)
    {
        Controller = controller;
        Images = images;
        HostId = AgentCloud.NewHostId("pool");
        PoolDirectory = Path.Combine(_root.FullName, "pool");
        _environment = new Dictionary<string, string>
        {
            ["CIMI_AGENT_STATE_DIR"] = Path.Combine(_root.FullName, "state"),
            ["CIMI_AGENT_VOLUME_POOL"] = PoolDirectory,
        };
        if (poolKiB is { } kib) _environment["CIMI_AGENT_VOLUME_POOL_KIB"] = kib.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (nbdHost is not null) _environment["CIMI_AGENT_NBD_HOST"] = nbdHost;
    }

    /// <summary>Where the agent keeps its NBD exports (one directory per exported Volume, each with the daemon's pid file).</summary>
    /// <summary>Where the agent keeps its state (the Docker driver's host mounts are under it).</summary>
    public string StateDirectory => Path.Combine(_root.FullName, "state");

    public string ExportsDirectory => Path.Combine(_root.FullName, "state", "nbd-exports");

    public FakeController Controller { get; }
    public FakeVolumeImageStore Images { get; }
    public string HostId { get; }
    public string PoolDirectory { get; }
    public FakeAgentSession Session { get; private set; } = null!;
    public AgentProcess Process => _process!;

    public static async Task<VolumeAgent> StartAsync(long? poolKiB = null, string? nbdHost = null)
    {
        await DockerCli.RequireAsync();
        var images = new FakeVolumeImageStore();
        var controller = await FakeController.StartAsync(FakeVolumeImageStore.Registration(images));
        var agent = new VolumeAgent(controller, images, poolKiB, nbdHost);
        await agent.RestartAsync();
        return agent;
    }

    /// <summary>Starts the agent (again, after a kill) and waits for its inventory; <paramref name="extra"/> is added to its
    /// environment for this start only (e.g. <c>CIMI_AGENT_TEST_PAUSE_AT</c>).</summary>
    public async Task<Inventory> RestartAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        if (_process is not null) await _process.DisposeAsync();
        var environment = new Dictionary<string, string>(_environment);
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) environment[k] = v;
        _process = AgentProcess.Start(HostId, Controller.Url, FakeController.Secret, environment);
        Session = await Controller.NextSessionAsync();
        return await Session.InventoryAsync();
    }

    /// <summary>kill -9 of the agent.</summary>
    public Task KillAsync() => _process!.KillAsync();

    /// <summary>Where the pool keeps Volume <paramref name="key"/>'s file and its record.</summary>
    public string FileOf(string key) => Path.Combine(PoolDirectory, Hash(key) + ".volume");
    public string RecordOf(string key) => Path.Combine(PoolDirectory, Hash(key) + ".json");

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string NewKey() => $"vt-{Guid.NewGuid():N}"[..16] + "/v1";

    public static Command Create(string key, long generation, long capacityKiB, string format = "ext4", string imageLocation = "") => new()
    {
        CommandId = Guid.NewGuid().ToString("N"), ResourceKind = ResourceKind.Volume, ResourceId = key, Generation = generation,
        Kind = CommandKind.Create,
        Volume = new VolumeSpec { CapacityKib = capacityKiB, Format = format, TenantId = key.Split('/')[0], ImageLocation = imageLocation },
    };

    public static Command Action(string key, long generation, CommandKind kind, string captureLocation = "") => new()
    {
        CommandId = Guid.NewGuid().ToString("N"), ResourceKind = ResourceKind.Volume, ResourceId = key, Generation = generation,
        Kind = kind, CaptureImageLocation = captureLocation,
    };

    /// <summary>Runs a host tool and returns its standard output; a non-zero exit fails the test with what it said.</summary>
    public static async Task<string> ToolAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["LC_ALL"] = "C";
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
        return await output;
    }

    /// <summary>The KiB the file really takes on disk (what sparse files save).</summary>
    public static async Task<long> AllocatedKiBAsync(string path) => long.Parse((await ToolAsync("du", "-k", path)).Split('\t')[0]);

    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        await Controller.DisposeAsync();
        await DockerCli.RemoveHostContainersAsync(HostId);
        await DockerNetworks.RemoveHostNetworksAsync(HostId);
        // Export daemons run detached from the agent: a test that failed midway must not leave one serving.
        if (Directory.Exists(ExportsDirectory))
        {
            foreach (var pidFile in Directory.EnumerateFiles(ExportsDirectory, "pid", SearchOption.AllDirectories))
            {
                if (!int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) continue;
                try
                {
                    using var daemon = System.Diagnostics.Process.GetProcessById(pid);
                    if (File.ReadAllText($"/proc/{pid}/cmdline").Contains(ExportsDirectory, StringComparison.Ordinal)) daemon.Kill();
                }
                catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException)
                {
                    // Gone already.
                }
            }
        }
        _root.Delete(recursive: true);
    }
}
