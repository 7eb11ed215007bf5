using CimiGrains.Agents.Drivers;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents.Networks;

/// <summary>
/// <see cref="INetworkPlane"/> from the kernel's own parts, driven through ip, bridge and nft (docs/NETWORKS.md
/// "The host's network plane"). Every operation runs under one lock: each reads the kernel's devices, changes
/// them towards the records and the state, and rewrites the plane's nftables rules whole, so any operation
/// interrupted by a crash is finished or undone by the next one or by <see cref="ReconcileAsync"/>.
/// </summary>
public sealed partial class LinuxNetworkPlane : INetworkPlane
{
    private readonly NetworkPlaneOptions _options;
    private readonly ILogger<LinuxNetworkPlane> _logger;
    private readonly PlaneShell _shell;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lazy<PlaneStore> _store;
    private readonly DockerForwarding _docker;

    public LinuxNetworkPlane(NetworkPlaneOptions options, ILogger<LinuxNetworkPlane> logger)
    {
        _options = options;
        _logger = logger;
        _shell = new PlaneShell(options.Namespace);
        _docker = new DockerForwarding(_shell);
        _store = new Lazy<PlaneStore>(() => new PlaneStore(options.StateDirectory));
        UnderlayAddress = options.UnderlayAddress is { Length: > 0 } u ? PlaneInput.Address(u, "CIMI_AGENT_UNDERLAY_ADDRESS") : null;
    }

    public bool Enabled => UnderlayAddress is not null && OperatingSystem.IsLinux();

    public string? UnderlayAddress { get; }

    private PlaneStore Store => _store.Value;

    public async Task<IReadOnlyList<string>> ListNetworksAsync(CancellationToken ct)
    {
        RequireEnabled();
        await _gate.WaitAsync(ct);
        try
        {
            var bridges = (await LinksAsync(ct)).Select(l => l.Name).Where(n => n.StartsWith(PlaneNames.BridgePrefix, StringComparison.Ordinal)).ToHashSet();
            return KnownNetworkIds().Where(id => bridges.Contains(PlaneNames.Bridge(id))).Order(StringComparer.Ordinal).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task ApplyAsync(NetworkPlaneState state, CancellationToken ct)
    {
        RequireEnabled();
        var wanted = Normalize(state);
        await _gate.WaitAsync(ct);
        try
        {
            if (Store.State(wanted.NetworkId) is { } applied && applied.Version > wanted.Version)
            {
                LogStale(wanted.NetworkId, wanted.Version, applied.Version);
                return;
            }
            Store.Save(wanted);
            if (!wanted.Present)
            {
                await RemoveNetworkIfUnusedAsync(wanted.NetworkId, ct);
                await WriteRulesAsync(ct);
                return;
            }
            await BuildNetworkAsync(wanted, ct);
            await WriteRulesAsync(ct);
            LogApplied(wanted.NetworkId, wanted.Version, wanted.Started, wanted.RemoteEndpoints.Count);
            if (PlaneRules.GatewayOnBridge(wanted) && PlaneInput.IsPublic(wanted.NetworkType) && await ExternalDeviceAsync(ct) is null)
                throw new DriverException($"PUBLIC Network {wanted.NetworkId}: this host has no external device to masquerade out of " +
                    "(no default route); set CIMI_AGENT_EXTERNAL_DEVICE.");
        }
        finally
        {
            _gate.Release();
        }
    }

    private void RequireEnabled()
    {
        if (!Enabled)
            throw new DriverException(OperatingSystem.IsLinux()
                ? "This host offers no Networks: set CIMI_AGENT_UNDERLAY_ADDRESS (its VXLAN endpoint address) to enable the network plane."
                : "This host offers no Networks: the network plane needs Linux.");
    }

    /// <summary>The Network ids the records know (bridge names are hashes, so only the records map them back).</summary>
    private IEnumerable<string> KnownNetworkIds() =>
        Store.States().Select(s => s.NetworkId).Concat(Store.Interfaces().Select(i => i.NetworkId)).Distinct();

    /// <summary>The state checked and in the forms the tools take; a bad value is refused before anything changes.</summary>
    private NetworkPlaneState Normalize(NetworkPlaneState s)
    {
        if (string.IsNullOrWhiteSpace(s.NetworkId)) throw new DriverException("A Network state needs its network id.");
        var what = $"Network {s.NetworkId}";
        if (!s.Present) return s with { RemoteEndpoints = [], RoutedSubnets = [] };
        return s with
        {
            Vni = PlaneInput.Vni(s.Vni, what),
            Mtu = PlaneInput.Mtu(s.Mtu, what),
            Subnet = string.IsNullOrWhiteSpace(s.Subnet) ? "" : PlaneInput.Subnet(s.Subnet, what + " subnet"),
            Gateway = string.IsNullOrWhiteSpace(s.Gateway) ? null : PlaneInput.Address(s.Gateway, what + " gateway"),
            RemoteEndpoints = s.RemoteEndpoints.Select(e => e with
            {
                UnderlayAddress = PlaneInput.Address(e.UnderlayAddress, $"{what} endpoint on host {e.HostId}"),
                Mac = PlaneInput.Mac(e.Mac, $"{what} endpoint on host {e.HostId}"),
            }).ToList(),
            RoutedSubnets = s.RoutedSubnets.Select(r => PlaneInput.Subnet(r, what + " routed subnet")).Distinct().ToList(),
        };
    }
}
