using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using CimiGrains.Agents.Drivers;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// One Docker bridge network per tenant on this host, until CIMI Networks exist. Containers of one tenant
/// share it (and reach each other); Docker's isolation rules drop traffic between different bridge
/// networks, so no tenant reaches another's containers, and none is on the engine's default bridge.
/// The agent creates a network on the tenant's first container here and removes it with the last one;
/// at start it removes the networks of its host that no container uses any more (a kill -9 between the
/// last container's removal and the network's leaves one behind).
/// </summary>
/// <remarks>
/// Networks belong to a host id (label <c>cimigrains.host</c>), as containers do: several agents may share
/// one engine, and each touches only its own. Everything that creates, uses or removes a tenant's network
/// holds that tenant's lock, so a removal can never slip between a create's "ensure the network" and its
/// container create.
/// </remarks>
internal sealed partial class TenantNetworks(DockerClient docker, AgentOptions options, HostGuard guard, ILogger logger)
{
    public const string NetworkLabel = "cimigrains.network";

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary><c>cimi-{readable tenant}-{hash}</c>; the hash covers the host id and the exact tenant id, so
    /// two hosts on one engine, or two tenants whose ids read alike, never share a network.</summary>
    public static string NameFor(string hostId, string tenantId)
    {
        var readable = new string(tenantId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '.').ToArray());
        if (readable.Length > 40) readable = readable[..40];
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hostId + "\n" + tenantId)))[..12];
        return $"cimi-{readable}-{hash}";
    }

    /// <summary>The bridge interface of network <paramref name="name"/>: <see cref="HostGuard.BridgePrefix"/> and 11 hex
    /// digits of its name's hash, so the host guard's one wildcard rule covers it.</summary>
    public static string BridgeFor(string name) =>
        HostGuard.BridgePrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..11];

    /// <summary>Guards the host from every tenant bridge, and each existing bridge made before bridges were named.</summary>
    public async Task GuardAsync(CancellationToken ct)
    {
        await guard.EnsureAsync(ct);
        foreach (var network in await ListAsync(ct)) await guard.GuardInterfaceAsync(BridgeOf(network), ct);
    }

    /// <summary>The host-side interface of a tenant network: the name it was given, else Docker's br-ID.</summary>
    private static string BridgeOf(NetworkResponse network) =>
        network.Options is { } o && o.TryGetValue("com.docker.network.bridge.name", out var bridge) && bridge.Length > 0 ? bridge : "br-" + network.ID[..12];

    /// <summary>Holds the tenant's network lock until disposed.</summary>
    public async Task<IDisposable> LockAsync(string tenantId, CancellationToken ct)
    {
        var gate = _locks.GetOrAdd(tenantId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    /// <summary>The tenant's network on this host, created if missing. The caller holds the tenant's lock.</summary>
    public async Task<string> EnsureAsync(string tenantId, CancellationToken ct)
    {
        var name = NameFor(options.HostId, tenantId);
        if (await FindAsync(name, ct) is { } existing)
        {
            await guard.GuardInterfaceAsync(BridgeOf(existing), ct);
            return name;
        }
        var outbound = options.TenantOutbound == TenantOutbound.Nat;
        try
        {
            await docker.Networks.CreateNetworkAsync(new NetworksCreateParameters
            {
                Name = name,
                Driver = "bridge",
                CheckDuplicate = true,
                // Internal: no route off the bridge and no NAT, so nothing leaves the host from it.
                Internal = !outbound,
                Labels = new Dictionary<string, string>
                {
                    [NetworkLabel] = "tenant",
                    [ContainerNaming.TenantLabel] = tenantId,
                    [ContainerNaming.HostLabel] = options.HostId,
                },
                Options = new Dictionary<string, string>
                {
                    // A tenant's own Machines talk to each other; other tenants' bridges are separated by
                    // Docker's isolation chains whatever this says.
                    ["com.docker.network.bridge.enable_icc"] = "true",
                    ["com.docker.network.bridge.enable_ip_masquerade"] = outbound ? "true" : "false",
                    // Named for the host guard's wildcard rule (HostGuard): the host's services stay out of reach.
                    ["com.docker.network.bridge.name"] = BridgeFor(name),
                },
            }, ct);
            LogNetworkCreated(name, tenantId, outbound ? "nat" : "none");
        }
        catch (DockerApiException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Made meanwhile (another agent process with this host id would be a misconfiguration, but the
            // network it made is the one wanted).
        }
        catch (DockerApiException e)
        {
            // Typically "could not find an available, non-overlapping IPv4 address pool": the engine's
            // default-address-pools are used up (docs/AGENTS.md says how to enlarge them).
            throw new DriverException($"Docker refused to create the network '{name}' of tenant '{tenantId}': {Brief(e)}", e);
        }
        return name;
    }

    /// <summary>Removes the tenant's network on this host if no container (running or not) is attached to it.</summary>
    public async Task ReleaseIfUnusedAsync(string tenantId, CancellationToken ct)
    {
        using (await LockAsync(tenantId, ct))
        {
            await RemoveIfUnusedAsync(NameFor(options.HostId, tenantId), ct);
        }
    }

    /// <summary>Removes every network of this host that no container uses (leftovers of a crash).</summary>
    public async Task PruneAsync(CancellationToken ct)
    {
        foreach (var network in await ListAsync(ct))
        {
            if (network.Labels is not { } labels || !labels.TryGetValue(ContainerNaming.TenantLabel, out var tenantId)) continue;
            using (await LockAsync(tenantId, ct))
            {
                await RemoveIfUnusedAsync(network.Name, ct);
            }
        }
    }

    /// <summary>This host's tenant networks.</summary>
    private async Task<IList<NetworkResponse>> ListAsync(CancellationToken ct) =>
        await docker.Networks.ListNetworksAsync(new NetworksListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{ContainerNaming.HostLabel}={options.HostId}"] = true,
                    [$"{NetworkLabel}=tenant"] = true,
                },
            },
        }, ct);

    private async Task RemoveIfUnusedAsync(string name, CancellationToken ct)
    {
        if (await FindAsync(name, ct) is not { } network) return;
        // Inspect lists running endpoints only; a stopped container still names the network and would
        // fail to start without it, so ask for every container on it.
        var users = await docker.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["network"] = new Dictionary<string, bool> { [network.ID] = true } },
        }, ct);
        if (users.Count > 0 || network.Containers is { Count: > 0 }) return;
        try
        {
            await docker.Networks.DeleteNetworkAsync(network.ID, ct);
            await guard.ReleaseInterfaceAsync(BridgeOf(network), ct);
            LogNetworkRemoved(name);
        }
        catch (DockerNetworkNotFoundException)
        {
            // Gone already: the goal is reached.
        }
        catch (DockerApiException e) when (e.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Conflict)
        {
            // A container attached meanwhile (not one of ours: ours hold the lock); it stays.
        }
    }

    private async Task<NetworkResponse?> FindAsync(string name, CancellationToken ct)
    {
        try
        {
            var network = await docker.Networks.InspectNetworkAsync(name, ct);
            // Inspect matches ids and id prefixes too: only the network of exactly this name counts.
            if (network.Name != name) return null;
            var owner = network.Labels is { } l && l.TryGetValue(ContainerNaming.HostLabel, out var h) ? h : null;
            if (owner != options.HostId)
                throw new DriverException($"The Docker network '{name}' is not labelled as host '{options.HostId}''s (it says '{owner}').");
            return network;
        }
        catch (DockerNetworkNotFoundException)
        {
            return null;
        }
    }

    private static string Brief(DockerApiException e) => e.ResponseBody is { Length: > 0 } body ? body.Trim() : e.Message;

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the network {Network} of tenant {TenantId} (outbound: {Outbound})")]
    private partial void LogNetworkCreated(string network, string tenantId, string outbound);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the network {Network}: no container uses it")]
    private partial void LogNetworkRemoved(string network);
}
