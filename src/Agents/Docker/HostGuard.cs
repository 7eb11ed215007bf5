using System.Diagnostics;
using CimiGrains.Agents.Drivers;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// Keeps containers away from the host's own services. A tenant bridge has an address on the host, so a
/// service listening on all addresses (PostgreSQL, the agent API, the CIMI API, an operator's tooling) is
/// reachable from every container at its gateway address; Docker's own rules filter only what is
/// forwarded, never what is addressed to the host. The agent therefore puts one chain in the filter
/// table's INPUT, for IPv4 and IPv6: connections a container starts towards the host are dropped, replies
/// to connections the host started pass. Tenant bridges are named <see cref="BridgePrefix"/>… so one
/// wildcard rule covers every bridge, including those made after a crash; a bridge made before bridges
/// were named (br-…) gets a rule of its own.
/// </summary>
internal sealed partial class HostGuard(DockerDriverOptions options, ILogger logger)
{
    public const string Chain = "CIMI-HOST-GUARD";

    /// <summary>The prefix of tenant bridge names (an interface name has at most 15 characters).</summary>
    public const string BridgePrefix = "cimi";

    private readonly SemaphoreSlim _gate = new(1, 1);

    public bool Enabled => options.HostGuard;

    /// <summary>Installs the chain and the wildcard rules (idempotent). Fails, naming the setting, when it
    /// cannot: a container that can reach the host's services is not an acceptable default.</summary>
    public async Task EnsureAsync(CancellationToken ct)
    {
        if (!options.HostGuard) return;
        if (options.Endpoint.Scheme != "unix")
            throw new DriverException($"The Docker engine at {options.Endpoint} is not on this host, so the agent cannot guard the engine host's services " +
                "from its containers; guard that host yourself and set CIMI_AGENT_DOCKER_HOST_GUARD=off.");
        await GuardAsync(BridgePrefix + "+", ct);
    }

    /// <summary>Guards one bridge interface (a tenant network made before bridges were named).</summary>
    public async Task GuardInterfaceAsync(string bridge, CancellationToken ct)
    {
        if (options.HostGuard && !bridge.StartsWith(BridgePrefix, StringComparison.Ordinal)) await GuardAsync(bridge, ct);
    }

    /// <summary>Removes the rules of one legacy bridge interface once its network is gone.</summary>
    public async Task ReleaseInterfaceAsync(string bridge, CancellationToken ct)
    {
        if (!options.HostGuard || bridge.StartsWith(BridgePrefix, StringComparison.Ordinal)) return;
        await _gate.WaitAsync(ct);
        try
        {
            foreach (var tool in Tools())
            {
                foreach (var rule in RulesFor(bridge))
                    while ((await RunAsync(tool, ["-w", "-C", Chain, .. rule], ct)).ExitCode == 0) await RunAsync(tool, ["-w", "-D", Chain, .. rule], ct);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task GuardAsync(string bridge, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            foreach (var tool in Tools())
            {
                // -N fails when the chain exists; -C says whether a rule is there, so each is added once.
                await RunAsync(tool, ["-w", "-N", Chain], ct);
                if ((await RunAsync(tool, ["-w", "-C", "INPUT", "-j", Chain], ct)).ExitCode != 0)
                    await RequireAsync(tool, ["-w", "-I", "INPUT", "1", "-j", Chain], ct);
                foreach (var rule in RulesFor(bridge))
                    if ((await RunAsync(tool, ["-w", "-C", Chain, .. rule], ct)).ExitCode != 0) await RequireAsync(tool, ["-w", "-A", Chain, .. rule], ct);
            }
            LogGuarded(bridge);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Replies to the host's own connections pass; anything else a bridge sends to the host is dropped.</summary>
    private static IEnumerable<string[]> RulesFor(string bridge) =>
    [
        ["-i", bridge, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"],
        ["-i", bridge, "-j", "DROP"],
    ];

    /// <summary>IPv4 always; IPv6 when the kernel has it (a bridge then has a link-local address on the host).</summary>
    private static IEnumerable<string> Tools() => File.Exists("/proc/net/if_inet6") ? ["iptables", "ip6tables"] : ["iptables"];

    private static async Task RequireAsync(string tool, string[] args, CancellationToken ct)
    {
        var (code, output) = await RunAsync(tool, args, ct);
        if (code != 0)
            throw new DriverException($"The agent cannot guard the host from its containers ({tool} {string.Join(' ', args)}: {output.Trim()}). " +
                "Run the agent as root (it needs CAP_NET_ADMIN), or set CIMI_AGENT_DOCKER_HOST_GUARD=off and guard the host's INPUT yourself.");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string tool, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        try
        {
            using var process = Process.Start(start) ?? throw new DriverException($"{tool} did not start.");
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return (process.ExitCode, await stdout + await stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, $"{tool} is not installed ({e.Message})");
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Host services guarded from bridge {Bridge}")]
    private partial void LogGuarded(string bridge);
}
