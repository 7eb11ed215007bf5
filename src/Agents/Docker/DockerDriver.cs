using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Protocol;
using CimiGrains.Hosts;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// Machines as Docker containers (Docker.DotNet, engine API 1.41). CPU becomes NanoCPUs, memory (KiB)
/// the memory limit without extra swap. What CIMI gave the Machine (credential, userData) is copied
/// as files into a volume of its own mounted at <c>/run/cimi/</c> before its first start: not passed as
/// environment variables, which <c>docker inspect</c> would show to anyone on the host, and not written
/// into the container's filesystem, which <c>docker commit</c> (a capture) would copy into the image.
/// Images are named by exact reference only and resolved to their full id before a container is made.
/// </summary>
public sealed partial class DockerDriver(DockerClient docker, AgentOptions options, DockerDriverOptions driverOptions, ILogger<DockerDriver> logger,
    Networks.INetworkPlane? networkPlane = null) : IMachineDriver
{
    public const string DriverName = "docker";

    private readonly TenantNetworks _networks = new(docker, options, new HostGuard(driverOptions, logger), logger);
    private readonly VolumeMounts _volumeMounts = new(options.StateDirectory, logger);

    /// <summary>The engine and this host's id, for the other parts of this class (primary-constructor
    /// parameters are in scope only in the part that declares them).</summary>
    private DockerClient Engine => docker;
    private string HostId => options.HostId;
    private string StateDirectoryOfAgent => options.StateDirectory;
    /// <summary>The host's network plane, which plugs the Machines' interfaces (none: this host offers no Networks).</summary>
    private Networks.INetworkPlane? Plane => networkPlane;

    public string Name => DriverName;

    public string StorageDirectory { get; private set; } = "/var/lib/docker";

    /// <summary><c>docker.engine</c>: the engine's version, once <see cref="CheckAvailableAsync"/> has succeeded.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; private set; } = new Dictionary<string, string>();

    public async Task CheckAvailableAsync(CancellationToken ct)
    {
        await docker.System.PingAsync(ct);
        // Where this engine keeps images and containers (not necessarily the default place).
        var info = await docker.System.GetSystemInfoAsync(ct);
        if (info.DockerRootDir is { Length: > 0 } root) StorageDirectory = root;
        // Shown in the cluster's host information (the agent merges it into its registration labels).
        if (info.ServerVersion is { Length: > 0 } version) Labels = new Dictionary<string, string> { [$"{DriverName}.engine"] = version };
        // The host's services guarded from every tenant bridge before any container runs, then the networks a
        // crashed agent left behind with no container on them.
        await _networks.GuardAsync(ct);
        await _networks.PruneAsync(ct);
        // Volumes as the records say (after a kill -9 or a reboot); what no container uses is unmounted.
        await ReconcileVolumesQuietlyAsync(ct);
        // Network interfaces as the records say: each running container plugged again (the adoption).
        await ReconcileInterfacesAsync(ct);
    }

    public async Task<IReadOnlyList<WorkloadStatus>> ListAsync(CancellationToken ct)
    {
        await PruneMachineFilesAsync(ct);
        var containers = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ContainerNaming.HostLabel}={options.HostId}"] = true },
            },
        }, ct);
        return containers
            .Where(c => c.Labels.ContainsKey(ContainerNaming.MachineLabel))
            .Select(c => new WorkloadStatus(c.Labels[ContainerNaming.MachineLabel], GenerationOf(c.Labels), FromListState(c.State), c.ID,
                Volumes: AttachedKeysOf(c.Labels[ContainerNaming.MachineLabel]), NetworkInterfaces: InterfaceIdsOf(c.Labels[ContainerNaming.MachineLabel])))
            .ToList();
    }

    public async Task<WorkloadStatus> InspectAsync(string machineKey, CancellationToken ct) =>
        await FindAsync(machineKey, ct) is { } c ? Status(machineKey, c) : WorkloadStatus.Absent(machineKey);

    public async Task<WorkloadStatus> CreateAsync(string machineKey, long generation, WorkloadSpec spec, CancellationToken ct)
    {
        if (spec.Disks is { Count: > 0 } disks) LogDisksNotMade(machineKey, disks.Count, disks.Sum(d => d.CapacityKiB));
        var existing = await FindAsync(machineKey, ct);
        if (existing is not null)
        {
            var existingGeneration = GenerationOf(existing.Config.Labels);
            if (existingGeneration >= generation)
            {
                // A repeated (or overtaken) create: the container that exists is the answer. One of this
                // generation that never ran may be a create the agent did not finish (killed between the
                // container and its files): the files are copied again (they overwrite) before it can start.
                if (existingGeneration == generation && existing.State.Status == "created") await CopyMachineFilesAsync(existing.ID, spec, ct);
                if (spec.Start && !existing.State.Running) return await StartAsync(machineKey, ct);
                // Running: a create cut short after its start may not have plugged the interfaces yet.
                await PlugInterfacesAsync(machineKey, ct);
                return Status(machineKey, existing);
            }
            LogReplacing(machineKey, existingGeneration, generation);
            await docker.Containers.RemoveContainerAsync(existing.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct);
            await ForgetVolumesAsync(machineKey, ct);
            await ForgetInterfacesAsync(machineKey, ct);
        }

        var image = await ResolveImageAsync(spec.ImageLocation, ct);
        var nics = await PrepareNetworkInterfacesAsync(machineKey, spec.NetworkInterfaces, ct);
        var volumeMounts = await PrepareVolumesAsync(machineKey, spec.Volumes, ct);
        var name = ContainerNaming.For(machineKey);
        var cpus = Math.Min(spec.Cpu, Environment.ProcessorCount);
        var parameters = new CreateContainerParameters
        {
            Name = name,
            Image = image,
            Hostname = HostnameFor(machineKey),
            Labels = new Dictionary<string, string>
            {
                [ContainerNaming.MachineLabel] = machineKey,
                [ContainerNaming.TenantLabel] = spec.TenantId,
                [ContainerNaming.GenerationLabel] = generation.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [ContainerNaming.HostLabel] = options.HostId,
            },
            Env = [$"CIMI_MACHINE={machineKey}", "CIMI_DIR=/run/cimi"],
            StopTimeout = TimeSpan.FromSeconds(options.StopTimeoutSeconds),
            HostConfig = new HostConfig
            {
                // The engine refuses more CPUs than the machine has; an over-offered host is capped.
                NanoCPUs = cpus * 1_000_000_000L,
                Memory = spec.MemoryKiB * 1024,
                MemorySwap = spec.MemoryKiB * 1024,
                RestartPolicy = new RestartPolicy { Name = RestartPolicyKind.No },
            },
        };
        parameters.HostConfig.Mounts = [MachineFilesMount(machineKey), .. volumeMounts];
        ContainerDefaults.Apply(parameters.HostConfig, options);
        string id;
        // The tenant's lock spans the network check and the container create: the network cannot be removed
        // (its last other container deleted) in between. A Machine on CIMI Networks has none of the engine's.
        using var networkLock = nics.Count > 0 ? null : await _networks.LockAsync(spec.TenantId, ct);
        try
        {
            parameters.HostConfig.NetworkMode = nics.Count > 0 ? "none" : await _networks.EnsureAsync(spec.TenantId, ct);
            id = (await docker.Containers.CreateContainerAsync(parameters, ct)).ID;
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Another command for this Machine made it first; the name fences the race.
            var raced = await FindAsync(machineKey, ct) ?? throw new DriverException($"Container '{name}' conflicts but cannot be found.", e);
            return Status(machineKey, raced);
        }
        catch (DockerImageNotFoundException e)
        {
            await ForgetVolumesAsync(machineKey, CancellationToken.None);
            await ForgetInterfacesAsync(machineKey, CancellationToken.None);
            throw new DriverException($"The Docker image '{image}' is not on host '{options.HostId}' (no registry is used; build or load it there).", e);
        }
        catch (DockerApiException e)
        {
            await ForgetVolumesAsync(machineKey, CancellationToken.None);
            await ForgetInterfacesAsync(machineKey, CancellationToken.None);
            throw new DriverException($"Docker refused to create the container: {Brief(e)}", e);
        }
        networkLock?.Dispose();
        await CopyMachineFilesAsync(id, spec, ct);
        if (spec.Start)
        {
            await docker.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct);
            await PlugInterfacesAsync(machineKey, ct);
        }
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> StartAsync(string machineKey, CancellationToken ct)
    {
        var c = await RequireAsync(machineKey, ct);
        if (c.State.Paused) await docker.Containers.UnpauseContainerAsync(c.ID, ct);
        else if (!c.State.Running) await docker.Containers.StartContainerAsync(c.ID, new ContainerStartParameters(), ct);
        await RemountVolumesAsync(machineKey, ct);
        await PlugInterfacesAsync(machineKey, ct);
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> StopAsync(string machineKey, bool force, CancellationToken ct)
    {
        var c = await RequireAsync(machineKey, ct);
        if (!c.State.Running) return Status(machineKey, c);
        if (force)
        {
            await docker.Containers.KillContainerAsync(c.ID, new ContainerKillParameters { Signal = "KILL" }, ct);
            await docker.Containers.WaitContainerAsync(c.ID, ct);
        }
        else
        {
            // A frozen process cannot handle SIGTERM: thaw it first so the stop stays graceful.
            if (c.State.Paused) await docker.Containers.UnpauseContainerAsync(c.ID, ct);
            await docker.Containers.StopContainerAsync(c.ID, new ContainerStopParameters { WaitBeforeKillSeconds = (uint)options.StopTimeoutSeconds }, ct);
        }
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> RestartAsync(string machineKey, bool force, CancellationToken ct)
    {
        var c = await RequireAsync(machineKey, ct);
        if (force)
        {
            if (c.State.Running) await StopAsync(machineKey, force: true, ct);
            await docker.Containers.StartContainerAsync(c.ID, new ContainerStartParameters(), ct);
        }
        else
        {
            if (c.State.Paused) await docker.Containers.UnpauseContainerAsync(c.ID, ct);
            await docker.Containers.RestartContainerAsync(c.ID, new ContainerRestartParameters { WaitBeforeKillSeconds = (uint)options.StopTimeoutSeconds }, ct);
        }
        await RemountVolumesAsync(machineKey, ct);
        await PlugInterfacesAsync(machineKey, ct);
        return await InspectAsync(machineKey, ct);
    }

    public async Task<WorkloadStatus> PauseAsync(string machineKey, CancellationToken ct)
    {
        var c = await RequireAsync(machineKey, ct);
        if (c.State.Paused) return Status(machineKey, c);
        if (!c.State.Running) throw new DriverException($"The container of {machineKey} is {c.State.Status}; only a running container can be paused.");
        await docker.Containers.PauseContainerAsync(c.ID, ct);
        return await InspectAsync(machineKey, ct);
    }

    /// <summary>
    /// Docker here has no checkpoint/restore (CRIU), so suspend cannot keep memory: it is a graceful stop
    /// that keeps the container and its filesystem; start runs it again. docs/AGENTS.md says so.
    /// </summary>
    public Task<WorkloadStatus> SuspendAsync(string machineKey, CancellationToken ct) => StopAsync(machineKey, force: false, ct);

    public async Task DeleteAsync(string machineKey, CancellationToken ct)
    {
        if (await FindAsync(machineKey, ct) is not { } c)
        {
            // Removed behind the agent's back, or by a delete that crashed before its network went.
            await _networks.ReleaseIfUnusedAsync(TenantOf(machineKey, null), ct);
            await ForgetVolumesAsync(machineKey, ct);
            await ForgetInterfacesAsync(machineKey, ct);
            return;
        }
        try
        {
            await docker.Containers.RemoveContainerAsync(c.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct);
        }
        catch (DockerContainerNotFoundException)
        {
            // Removed meanwhile: the goal is reached.
        }
        await ForgetVolumesAsync(machineKey, ct);
        await ForgetInterfacesAsync(machineKey, ct);
        await _networks.ReleaseIfUnusedAsync(TenantOf(machineKey, c.Config.Labels), ct);
    }

    /// <summary>The tenant a container belongs to: its label, else the Machine key's tenant part.</summary>
    private static string TenantOf(string machineKey, IDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(ContainerNaming.TenantLabel, out var t) && t.Length > 0
            ? t
            : machineKey[..Math.Max(0, machineKey.IndexOf('/'))];

    public async IAsyncEnumerable<WorkloadStatus> WatchAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var events = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });
        var monitor = docker.System.MonitorEventsAsync(new ContainerEventsParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["type"] = new Dictionary<string, bool> { ["container"] = true },
                ["label"] = new Dictionary<string, bool> { [$"{ContainerNaming.HostLabel}={options.HostId}"] = true },
                ["event"] = new Dictionary<string, bool>
                {
                    ["start"] = true, ["die"] = true, ["pause"] = true, ["unpause"] = true, ["destroy"] = true, ["oom"] = true,
                },
            },
        }, new DirectProgress(events.Writer), ct);
        _ = monitor.ContinueWith(t => events.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);
        await foreach (var message in events.Reader.ReadAllAsync(ct))
        {
            if (message.Actor?.Attributes is not { } attributes || !attributes.TryGetValue(ContainerNaming.MachineLabel, out var machineKey)) continue;
            if (message.Action == "destroy")
            {
                await ReleaseNetworkQuietlyAsync(TenantOf(machineKey, attributes), ct);
                await ForgetVolumesQuietlyAsync(machineKey, ct);
                await ForgetInterfacesQuietlyAsync(machineKey, ct);
                yield return new WorkloadStatus(machineKey, GenerationOf(attributes), ObservedState.Absent, message.Actor.ID, "The container was removed.");
                continue;
            }
            // A start the agent did not ask for (or one it did: idempotent) gets the live-attached volumes again.
            // The same for the network interfaces: a start always makes a new network namespace.
            if (message.Action == "start")
            {
                await RemountVolumesQuietlyAsync(machineKey, ct);
                await PlugInterfacesQuietlyAsync(machineKey, ct);
            }
            var status = await InspectAsync(machineKey, ct);
            yield return status with { Detail = $"Docker event '{message.Action}'." };
        }
    }

    /// <summary>A container removed outside a delete command (docker rm) may have been its tenant's last.</summary>
    private async Task ReleaseNetworkQuietlyAsync(string tenantId, CancellationToken ct)
    {
        try
        {
            await _networks.ReleaseIfUnusedAsync(tenantId, ct);
        }
        catch (Exception e) when (e is DockerApiException or DriverException or HttpRequestException)
        {
            // The next delete or agent start removes it; the event itself must still be reported.
            LogNetworkReleaseFailed(tenantId, e.Message);
        }
    }

    private async Task<ContainerInspectResponse?> FindAsync(string machineKey, CancellationToken ct)
    {
        try
        {
            var c = await docker.Containers.InspectContainerAsync(ContainerNaming.For(machineKey), ct);
            var owner = c.Config.Labels is { } labels && labels.TryGetValue(ContainerNaming.HostLabel, out var h) ? h : null;
            if (owner != options.HostId)
                throw new DriverException($"Container '{c.Name.TrimStart('/')}' belongs to host '{owner}', not '{options.HostId}'.");
            return c;
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    }

    private async Task<ContainerInspectResponse> RequireAsync(string machineKey, CancellationToken ct) =>
        await FindAsync(machineKey, ct) ?? throw new DriverException($"Host '{options.HostId}' has no container for {machineKey}.");

    private WorkloadStatus Status(string machineKey, ContainerInspectResponse c) =>
        new(machineKey, GenerationOf(c.Config.Labels), FromInspect(c.State), c.ID,
            c.State.Running ? null : $"exit code {c.State.ExitCode}{(c.State.OOMKilled ? " (out of memory)" : "")}", AttachedKeysOf(machineKey),
            InterfaceIdsOf(machineKey));

    private static ObservedState FromInspect(ContainerState s) =>
        s.Paused ? ObservedState.Paused
        : s.Running || s.Restarting ? ObservedState.Running
        : s.Dead ? ObservedState.Failed
        : s.Status == "created" ? ObservedState.Created
        : ObservedState.Stopped;

    private static ObservedState FromListState(string state) => state switch
    {
        "running" or "restarting" => ObservedState.Running,
        "paused" => ObservedState.Paused,
        "created" => ObservedState.Created,
        "dead" => ObservedState.Failed,
        _ => ObservedState.Stopped,
    };

    private static long GenerationOf(IDictionary<string, string>? labels) =>
        labels is not null && labels.TryGetValue(ContainerNaming.GenerationLabel, out var g) && long.TryParse(g, out var n) ? n : 0;

    private static string HostnameFor(string machineKey)
    {
        var local = machineKey[(machineKey.IndexOf('/') + 1)..];
        var clean = new string(local.Where(char.IsAsciiLetterOrDigit).Take(12).ToArray()).ToLowerInvariant();
        return clean.Length > 0 ? "m-" + clean : "machine";
    }

    private static string Brief(DockerApiException e) => e.ResponseBody is { Length: > 0 } body ? body.Trim() : e.Message;

    /// <summary>Progress&lt;T&gt; posts to the thread pool and can reorder events; this keeps their order.</summary>
    private sealed class DirectProgress(ChannelWriter<Message> writer) : IProgress<Message>
    {
        public void Report(Message value) => writer.TryWrite(value);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the unused network of tenant {TenantId}: {Error}")]
    private partial void LogNetworkReleaseFailed(string tenantId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the image {Image}")]
    private partial void LogImageRemoved(string image);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replacing the container of {MachineKey}: generation {Old} is older than {New}")]
    private partial void LogReplacing(string machineKey, long old, long @new);
}
