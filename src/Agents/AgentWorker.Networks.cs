using System.Threading.Channels;
using CimiGrains.Agents.Drivers;
using CimiGrains.Agents.Networks;
using CimiGrains.Agents.Protocol;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Agents;

/// <summary>
/// The session's side of the host's network plane (docs/NETWORKS.md, "Drivers"): the underlay address in the
/// registration, the Networks with a bridge here and each Machine's interfaces in the inventory, the cluster's
/// <see cref="NetworkState"/>s applied in order, and the plane reconciled with the interfaces of the Machines
/// this host keeps. A state that fails to apply is logged and tried again (a newer one replaces it); it never
/// ends the session: the Machines' commands and the other Networks go on.
/// </summary>
public sealed partial class AgentWorker
{
    /// <summary>How long a failed NetworkState waits before it is applied again, at first and at most.</summary>
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1), LastRetry = TimeSpan.FromSeconds(30);

    private bool PlaneEnabled => networkPlane is { Enabled: true };

    /// <summary>The underlay address the registration carries; empty when the host offers no Networks.</summary>
    private string UnderlayAddress => PlaneEnabled ? networkPlane!.UnderlayAddress ?? "" : "";

    /// <summary>The inventory's Networks (those with a bridge here now); none without a plane. A plane that cannot say
    /// must not keep the host from its session (its Machines need commands): it is logged, and the cluster then sends
    /// the states of the Networks it places here anyway.</summary>
    private async Task<IReadOnlyList<string>> InventoryNetworksAsync(CancellationToken ct)
    {
        if (!PlaneEnabled) return [];
        try
        {
            return await networkPlane!.ListNetworksAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogPlaneListFailed(e.Message);
            return [];
        }
    }

    /// <summary>
    /// The plane keeps the interfaces of the workloads this host still has (each driver's record of them) and
    /// removes what belongs to none: called once the inventory is sent and before the session's first command,
    /// so no interface a command is plugging meanwhile can be taken for a leftover. The cluster's removal of a
    /// Machine it no longer knows arrives as a delete, which unplugs that Machine's interfaces itself.
    /// </summary>
    private async Task ReconcilePlaneAsync(IReadOnlyList<WorkloadStatus> workloads, CancellationToken ct)
    {
        if (!PlaneEnabled) return;
        var live = workloads.SelectMany(w => w.NetworkInterfaces ?? []).ToHashSet(StringComparer.Ordinal);
        try
        {
            await networkPlane!.ReconcileAsync(live, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // What is left stays until the next session's reconciliation; the workloads keep running.
            LogPlaneReconcileFailed(live.Count, e.Message);
        }
    }

    /// <summary>The session's NetworkStates, applied one at a time in the order they came, so a Network never goes
    /// back to an older view; each failure is retried with a growing pause until it succeeds or a newer state of the
    /// same Network arrives. The versions applied are remembered for the session only: a new session's cluster
    /// sends every Network's state again, and the plane (whose own fence is the same rule) may have lost what it
    /// applied to a reconciliation in between.</summary>
    private async Task ApplyNetworkStatesAsync(ChannelReader<NetworkState> states, CancellationToken ct)
    {
        var appliedVersions = new Dictionary<string, long>(StringComparer.Ordinal);
        var pending = new Dictionary<string, (NetworkState State, DateTime Due, TimeSpan Pause)>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            // Everything that came in since, newest per Network (an older one is never worth applying).
            while (states.TryRead(out var arrived))
            {
                if (!pending.TryGetValue(arrived.NetworkId, out var known) || known.State.Version <= arrived.Version)
                    pending[arrived.NetworkId] = (arrived, DateTime.UtcNow, FirstRetry);
            }
            var due = pending.Values.Where(p => p.Due <= DateTime.UtcNow).Select(p => p.State).OrderBy(s => s.Version).ToList();
            foreach (var state in due)
            {
                if (appliedVersions.TryGetValue(state.NetworkId, out var applied) && state.Version <= applied)
                {
                    pending.Remove(state.NetworkId);
                    continue;
                }
                if (await ApplyNetworkStateAsync(state, ct))
                {
                    appliedVersions[state.NetworkId] = state.Version;
                    pending.Remove(state.NetworkId);
                }
                else
                {
                    var pause = pending[state.NetworkId].Pause;
                    pending[state.NetworkId] = (state, DateTime.UtcNow + pause, TimeSpan.FromTicks(Math.Min(LastRetry.Ticks, pause.Ticks * 2)));
                }
            }
            if (pending.Count == 0)
            {
                if (!await states.WaitToReadAsync(ct)) return;
                continue;
            }
            var wait = pending.Values.Min(p => p.Due) - DateTime.UtcNow;
            if (wait <= TimeSpan.Zero) continue;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(wait);
            try
            {
                if (!await states.WaitToReadAsync(timeout.Token)) return;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // A retry is due.
            }
        }
    }

    /// <summary>One state through the plane; false (logged) when it failed.</summary>
    private async Task<bool> ApplyNetworkStateAsync(NetworkState state, CancellationToken ct)
    {
        if (!PlaneEnabled)
        {
            // A cluster that sends Networks to a host that registered no underlay: nothing here can carry them.
            LogNetworkStateWithoutPlane(state.NetworkId, MachineNetworkInterfaces.PlaneSetting);
            return true;
        }
        try
        {
            await networkPlane!.ApplyAsync(ToPlane(state), ct);
            LogNetworkApplied(state.NetworkId, state.Version, state.Present, state.RemoteEndpoints.Count);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogNetworkApplyFailed(state.NetworkId, state.Version, $"{e.GetType().Name}: {e.Message}");
            return false;
        }
    }

    /// <summary>The plane's view of a NetworkState from the wire.</summary>
    public static NetworkPlaneState ToPlane(NetworkState s) => new(
        s.NetworkId, s.TenantId, s.Vni, s.Mtu, s.NetworkType, s.Subnet, s.Gateway.Length > 0 ? s.Gateway : null, s.Started,
        [.. s.RemoteEndpoints.Select(e => new NetworkPlaneEndpoint(e.HostId, e.UnderlayAddress, e.Mac.ToLowerInvariant(), [.. e.Addresses]))],
        [.. s.RoutedSubnets], s.Present, s.Version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Network {NetworkId}: state version {Version} applied (present: {Present}, {Remotes} remote ports)")]
    private partial void LogNetworkApplied(string networkId, long version, bool present, int remotes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Network {NetworkId}: applying state version {Version} failed: {Error}; trying again")]
    private partial void LogNetworkApplyFailed(string networkId, long version, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Network {NetworkId}: the cluster sent its state, but this host's network plane is not enabled (set {Setting})")]
    private partial void LogNetworkStateWithoutPlane(string networkId, string setting);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list the Networks of this host for the inventory: {Error}")]
    private partial void LogPlaneListFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling the network plane with {Count} live interfaces failed: {Error}")]
    private partial void LogPlaneReconcileFailed(int count, string error);
}
