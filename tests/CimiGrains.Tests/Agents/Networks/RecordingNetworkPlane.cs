extern alias agents;
using System.Collections.Concurrent;
using System.Diagnostics;
using agents::CimiGrains.Agents.Networks;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// A host network plane for the drivers' and the agent's tests: it records every call (in order), and does only what
/// a driver needs from a plane to go on. A container's plug is recorded with the network namespace of the pid it was
/// given (<c>/proc/PID/ns/net</c>), so a test can tell a plug into a restarted container's new namespace from a
/// repeat; a VM's tap is a real tap device (<c>ip tuntap</c>, owned by the VM's uid, on no bridge) so that QEMU can
/// open it, with a name of this plane's own prefix, removed by <see cref="UnplugAsync"/> and by <see cref="DisposeAsync"/>.
/// <see cref="FailApply"/> makes <see cref="ApplyAsync"/> fail, as a broken kernel call would.
/// </summary>
public sealed class RecordingNetworkPlane(bool enabled = true, string? underlay = "192.0.2.10") : INetworkPlane, IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _calls = new();
    private readonly ConcurrentDictionary<string, string> _taps = new(StringComparer.Ordinal);
    private readonly string _prefix = "ndt" + Guid.NewGuid().ToString("N")[..5];
    private int _tapCount;

    /// <summary>A plug into a container: the interface, the pid given and that pid's network namespace then.</summary>
    public sealed record Plug(NetworkPlaneInterface Nic, int Pid, string Namespace);

    public bool Enabled => enabled;
    public string? UnderlayAddress => enabled ? underlay : null;

    /// <summary>What <see cref="ListNetworksAsync"/> answers.</summary>
    public List<string> Networks { get; } = [];

    /// <summary>While set, <see cref="ApplyAsync"/> fails for this Network (and records the attempt).</summary>
    public string? FailApply { get; set; }

    public ConcurrentQueue<Plug> Plugs { get; } = new();
    public ConcurrentQueue<NetworkPlaneState> Applied { get; } = new();
    public ConcurrentQueue<string> Unplugged { get; } = new();
    public ConcurrentQueue<IReadOnlySet<string>> Reconciled { get; } = new();

    /// <summary>Every call, in order, as "Method argument".</summary>
    public IReadOnlyList<string> Calls => [.. _calls];

    /// <summary>The taps this plane has made and not removed, by interface id.</summary>
    public IReadOnlyDictionary<string, string> Taps => _taps;

    /// <summary>What <see cref="ReadPortCountersAsync"/> answers (the agent's sampling reads it).</summary>
    public List<PortCounters> PortCounters { get; } = [];

    public Task<IReadOnlyList<PortCounters>> ReadPortCountersAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<PortCounters>>([.. PortCounters]);

    public Task<IReadOnlyList<string>> ListNetworksAsync(CancellationToken ct)
    {
        _calls.Enqueue("List");
        return Task.FromResult<IReadOnlyList<string>>([.. Networks]);
    }

    public Task ApplyAsync(NetworkPlaneState state, CancellationToken ct)
    {
        _calls.Enqueue($"Apply {state.NetworkId}@{state.Version}");
        if (FailApply == state.NetworkId) throw new InvalidOperationException($"RTNETLINK answers: the test plane refuses {state.NetworkId}");
        Applied.Enqueue(state);
        return Task.CompletedTask;
    }

    public Task PlugContainerAsync(NetworkPlaneInterface nic, int pid, CancellationToken ct)
    {
        var ns = File.ResolveLinkTarget($"/proc/{pid}/ns/net", returnFinalTarget: false)?.ToString()
            ?? throw new InvalidOperationException($"pid {pid} has no network namespace (not running?)");
        _calls.Enqueue($"Plug {nic.InterfaceId} {nic.Name}");
        Plugs.Enqueue(new Plug(nic, pid, ns));
        return Task.CompletedTask;
    }

    public async Task<string> CreateTapAsync(NetworkPlaneInterface nic, int uid, CancellationToken ct)
    {
        _calls.Enqueue($"Tap {nic.InterfaceId} {nic.Name}");
        if (_taps.TryGetValue(nic.InterfaceId, out var known)) return known;
        var name = $"{_prefix}{Interlocked.Increment(ref _tapCount)}";
        await IpAsync("tuntap", "add", "dev", name, "mode", "tap", "user", uid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await IpAsync("link", "set", name, "up");
        _taps[nic.InterfaceId] = name;
        return name;
    }

    public async Task UnplugAsync(string interfaceId, CancellationToken ct)
    {
        _calls.Enqueue($"Unplug {interfaceId}");
        Unplugged.Enqueue(interfaceId);
        if (_taps.TryRemove(interfaceId, out var tap)) await IpAsync("link", "del", tap);
    }

    public Task ReconcileAsync(IReadOnlySet<string> liveInterfaceIds, CancellationToken ct)
    {
        _calls.Enqueue($"Reconcile {string.Join(',', liveInterfaceIds.Order(StringComparer.Ordinal))}");
        Reconciled.Enqueue(liveInterfaceIds);
        return Task.CompletedTask;
    }

    /// <summary>The links on the host whose names start with this plane's prefix (what it would leak).</summary>
    public async Task<IReadOnlyList<string>> LeftoverLinksAsync() =>
        (await IpAsync("-o", "link", "show")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3)[1].Trim().Split('@')[0]).Where(n => n.StartsWith(_prefix, StringComparison.Ordinal)).ToList();

    public async ValueTask DisposeAsync()
    {
        foreach (var link in await LeftoverLinksAsync()) await IpAsync("link", "del", link);
    }

    private static async Task<string> IpAsync(params string[] arguments)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed: {await error}");
        return await output;
    }
}
