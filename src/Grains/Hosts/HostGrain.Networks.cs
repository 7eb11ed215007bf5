using CimiGrains.Hosts;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Hosts;

/// <summary>
/// The host's side of CIMI Networks (docs/NETWORKS.md "Machines on Networks"): the newest view of every Network
/// with a port here, kept durably so that an agent that was away, or a cluster that restarted, still hands the
/// agent everything it should realize. A view is sent when it arrives (if the agent is connected) and again at
/// every session once its inventory is reconciled; the agent orders them by version, so a repeat is harmless.
/// Nothing here waits on the agent: a send that fails is logged and repeated at the next session.
/// </summary>
public sealed partial class HostGrain
{
    /// <summary>The version of the removal the host answers for a Network it never had a view of (none kept, none
    /// removed: its state here was lost, or the bridge is not the cluster's): above any the Network could have sent,
    /// so the agent takes it whatever it applied. A Network this host did know is removed at its own version instead
    /// (<see cref="HostGrainState.RemovedNetworks"/>), so a later view of it is applied again.</summary>
    public const long UnknownNetworkRemovalVersion = long.MaxValue;

    public async Task ApplyNetwork(NetworkHostView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        // An older view (a late retry of a Network's push) never undoes a newer one.
        var known = state.State.Networks.TryGetValue(view.NetworkKey, out var kept);
        if (known && kept!.Version > view.Version) return;
        if (!known && state.State.RemovedNetworks.TryGetValue(view.NetworkKey, out var removed) && removed > view.Version) return;
        if (!known || kept!.Version < view.Version || _unsaved)
        {
            state.State.Networks[view.NetworkKey] = view;
            state.State.RemovedNetworks.Remove(view.NetworkKey);
            await Write();
        }
        // The same version again is the Network repeating a push it was not sure of: sending it again is harmless.
        if (_agent is { } agent) _ = SendNetworkAsync(agent, view);
    }

    public Task<string?> GetUnderlayAddress() => Task.FromResult(state.State.Registration?.UnderlayAddress);

    public Task<IReadOnlyList<NetworkHostView>> GetNetworks() =>
        Task.FromResult<IReadOnlyList<NetworkHostView>>([.. state.State.Networks.Values.OrderBy(v => v.NetworkKey, StringComparer.Ordinal)]);

    public async Task ReconcileNetworks(string sessionId, IReadOnlyList<string> networks)
    {
        if (sessionId != _sessionId || _agent is not { } agent) return;
        var listed = networks.ToHashSet(StringComparer.Ordinal);
        // A removal the agent has applied (its bridge is gone) needs no remembering any more.
        var applied = state.State.RemovedNetworks.Keys.Where(n => !listed.Contains(n)).ToList();
        foreach (var network in applied) state.State.RemovedNetworks.Remove(network);
        if (applied.Count > 0 || _unsaved) await Write();
        // A bridge of a Network this host keeps no view of: the Network's removal was sent but not applied (the agent
        // went away first), or the Network was never this host's. The agent takes it down.
        foreach (var network in listed.Where(n => !state.State.Networks.ContainsKey(n)).Order(StringComparer.Ordinal))
        {
            var tenant = network.IndexOf('/') is > 0 and var slash ? network[..slash] : "";
            var version = state.State.RemovedNetworks.TryGetValue(network, out var removed) ? removed : UnknownNetworkRemovalVersion;
            await SendNetworkAsync(agent, new NetworkHostView(network, tenant, 0, 0, "", "", null, false, [], [], Present: false, version));
        }
    }

    /// <summary>Sends every kept view to the session's agent (at each new session, after its inventory).</summary>
    private async Task SendNetworksAsync(IAgentObserver agent)
    {
        foreach (var view in state.State.Networks.Values.ToList()) await SendNetworkAsync(agent, view);
    }

    /// <summary>Best effort: a view the agent's session did not take now goes again at its next session. A removal
    /// (Present false) the session took is done with: it is dropped, unless a newer view replaced it meanwhile.</summary>
    private async Task SendNetworkAsync(IAgentObserver agent, NetworkHostView view)
    {
        try
        {
            await agent.ApplyNetwork(view).WaitAsync(AgentCallTimeout);
        }
        catch (Exception e)
        {
            LogNetworkNotSent(HostId, view.NetworkKey, view.Version, e.Message);
            return;
        }
        if (!view.Present && state.State.Networks.TryGetValue(view.NetworkKey, out var kept) && kept.Version == view.Version && !kept.Present)
        {
            state.State.Networks.Remove(view.NetworkKey);
            state.State.RemovedNetworks[view.NetworkKey] = view.Version;
            try
            {
                await Write();
            }
            catch (Exception e)
            {
                // Forgotten in memory only: the next write stores that, and a reactivation before it reads the
                // removal back and sends it again, which the agent takes as done.
                LogNetworkNotSent(HostId, view.NetworkKey, view.Version, $"the removal was sent but could not be forgotten durably: {e.Message}");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {HostId}: the view of Network {NetworkKey} (version {Version}) is not with the agent yet: {Reason}")]
    private partial void LogNetworkNotSent(string hostId, string networkKey, long version, string reason);
}
