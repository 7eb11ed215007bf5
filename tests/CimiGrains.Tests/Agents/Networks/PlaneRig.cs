extern alias agents;
using System.Diagnostics;
using System.Text.Json;
using agents::CimiGrains.Agents.Networks;
using Microsoft.Extensions.Logging.Abstractions;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>
/// Test hosts on this machine for the network plane: each host is a network namespace of its own
/// (<c>cimt{run}h{n}</c>), joined to the others by an underlay the rig makes (a bridge in a namespace of its own,
/// one veth per host, 10.252.0.{10+n}/24), with a <see cref="LinuxNetworkPlane"/> building inside it
/// (<see cref="NetworkPlaneOptions.Namespace"/>). Workloads are <c>unshare -n sleep</c> processes: each a network
/// namespace of its own, plugged like a container. Disposing kills the workloads and deletes the namespaces,
/// which takes every device and nftables table the planes made with them, also when a test failed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PlaneRig : IAsyncDisposable
{
    private readonly List<Process> _workloads = [];
    private readonly List<string> _namespaces = [];
    private readonly List<DirectoryInfo> _directories = [];

    private PlaneRig(string run) => Run = run;

    /// <summary>What makes this run's names unique on the machine.</summary>
    public string Run { get; }

    public string Underlay => $"cimt{Run}u";

    public List<TestHost> Hosts { get; } = [];

    public static async Task<PlaneRig> StartAsync(int hosts)
    {
        var rig = new PlaneRig(Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6]);
        try
        {
            await rig.NamespaceAsync(rig.Underlay);
            await RunAsync("ip", "-n", rig.Underlay, "link", "add", "sw", "type", "bridge");
            await RunAsync("ip", "-n", rig.Underlay, "link", "set", "sw", "up");
            for (var n = 1; n <= hosts; n++) rig.Hosts.Add(await rig.HostAsync(n));
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    private async Task<TestHost> HostAsync(int n)
    {
        var name = $"cimt{Run}h{n}";
        await NamespaceAsync(name);
        var address = $"10.252.0.{10 + n}";
        await RunAsync("ip", "link", "add", $"cimt{Run}a{n}", "netns", name, "type", "veth", "peer", "name", $"h{n}", "netns", Underlay);
        await RunAsync("ip", "-n", name, "link", "set", $"cimt{Run}a{n}", "name", "underlay");
        await RunAsync("ip", "-n", name, "addr", "add", address + "/24", "dev", "underlay");
        await RunAsync("ip", "-n", name, "link", "set", "underlay", "up");
        await RunAsync("ip", "-n", name, "link", "set", "lo", "up");
        await RunAsync("ip", "-n", Underlay, "link", "set", $"h{n}", "master", "sw", "up");
        var state = Directory.CreateTempSubdirectory("cimi-netplane-");
        _directories.Add(state);
        return new TestHost(name, address, state.FullName);
    }

    /// <summary>A namespace of the rig's own (also removed at the end).</summary>
    public async Task NamespaceAsync(string name)
    {
        await RunAsync("ip", "netns", "add", name);
        _namespaces.Add(name);
    }

    /// <summary>A process in a new network namespace of its own (a container, as far as the plane can tell).</summary>
    public async Task<int> WorkloadAsync()
    {
        var process = Process.Start(new ProcessStartInfo("unshare", ["-n", "sleep", "3600"]) { UseShellExecute = false })!;
        _workloads.Add(process);
        var own = new FileInfo("/proc/self/ns/net").LinkTarget;
        await Eventually.Until(() => Task.FromResult(new FileInfo($"/proc/{process.Id}/ns/net").LinkTarget), ns => ns is not null && ns != own,
            $"process {process.Id} in a network namespace of its own");
        return process.Id;
    }

    /// <summary>Kills a workload (what a stopped container is): its namespace goes, and the veth with it.</summary>
    public async Task KillAsync(int pid)
    {
        var process = _workloads.Single(p => p.Id == pid);
        process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>Whether <paramref name="pid"/>'s namespace gets an answer from <paramref name="address"/> (3 tries).</summary>
    public static async Task<bool> PingsAsync(int pid, string address, string? from = null)
    {
        List<string> args = ["-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", "ping", "-c", "3", "-i", "0.2", "-W", "1", "-w", "3"];
        if (from is not null) args.AddRange(["-I", from]);
        var (code, _) = await TryRunAsync("nsenter", [.. args, address]);
        return code == 0;
    }

    /// <summary>Pings until one gets through (ARP and the first frames may take a moment); false after the deadline.</summary>
    public static async Task<bool> EventuallyPingsAsync(int pid, string address)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
            if (await PingsAsync(pid, address)) return true;
        return false;
    }

    /// <summary>Runs <c>ip …</c> in a workload's namespace.</summary>
    public static Task<string> InWorkloadAsync(int pid, params string[] ip) =>
        RunAsync("nsenter", ["-t", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-n", "ip", .. ip]);

    public static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var (code, output) = await TryRunAsync(file, arguments);
        return code == 0 ? output : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed (exit {code}): {output}");
    }

    public static async Task<(int Code, string Output)> TryRunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _workloads)
        {
            try
            {
                if (!process.HasExited) process.Kill();
                await process.WaitForExitAsync();
            }
            catch (InvalidOperationException)
            {
                // Never started or already reaped.
            }
            process.Dispose();
        }
        foreach (var name in Enumerable.Reverse(_namespaces)) await TryRunAsync("ip", "netns", "del", name);
        foreach (var directory in _directories) directory.Delete(recursive: true);
    }
}

/// <summary>One test host: its namespace, underlay address and the plane's state directory; <see cref="NewPlane"/>
/// is what an agent restart after kill -9 has: a plane with nothing in memory over the same records and kernel.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TestHost(string @namespace, string underlayAddress, string stateDirectory)
{
    public string Namespace { get; } = @namespace;
    public string UnderlayAddress { get; } = underlayAddress;
    public string StateDirectory { get; } = stateDirectory;
    public LinuxNetworkPlane Plane { get; private set; } = Make(@namespace, underlayAddress, stateDirectory, null);

    public LinuxNetworkPlane NewPlane(string? externalDevice = null) => Plane = Make(Namespace, UnderlayAddress, StateDirectory, externalDevice);

    private static LinuxNetworkPlane Make(string @namespace, string underlay, string state, string? external) =>
        new(new NetworkPlaneOptions { UnderlayAddress = underlay, UnderlayDevice = "underlay", ExternalDevice = external, Namespace = @namespace, StateDirectory = state },
            NullLogger<LinuxNetworkPlane>.Instance);

    /// <summary>The names of the network devices in the host's namespace (<c>ip -j link</c>), sorted.</summary>
    public async Task<IReadOnlyList<string>> DevicesAsync()
    {
        using var json = JsonDocument.Parse(await PlaneRig.RunAsync("ip", "-n", Namespace, "-j", "link", "show"));
        return json.RootElement.EnumerateArray().Select(l => l.GetProperty("ifname").GetString()!).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The nftables tables in the host's namespace (<c>family name</c>).</summary>
    public async Task<IReadOnlyList<string>> TablesAsync() =>
        (await PlaneRig.RunAsync("ip", "netns", "exec", Namespace, "nft", "list", "tables")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Replace("table ", "", StringComparison.Ordinal)).ToList();

    /// <summary>The VXLAN forwarding entries of a Network (<c>mac dst</c>), sorted.</summary>
    public async Task<IReadOnlyList<string>> ForwardingEntriesAsync(string networkId)
    {
        using var json = JsonDocument.Parse(await PlaneRig.RunAsync("bridge", "-n", Namespace, "-j", "fdb", "show", "dev", PlaneNames.Vxlan(networkId)));
        return json.RootElement.EnumerateArray().Where(e => e.TryGetProperty("dst", out _))
            .Select(e => $"{e.GetProperty("mac").GetString()} {e.GetProperty("dst").GetString()}").Order(StringComparer.Ordinal).ToList();
    }
}
