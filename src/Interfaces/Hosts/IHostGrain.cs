namespace CimiGrains.Hosts;

/// <summary>
/// One host (agent), keyed by host id. Machine grains send it commands; it forwards them to the
/// connected agent through the observer the agent's gRPC session registered, which may live on any
/// silo. The agent's results go straight from that session to the Machine grains as
/// <see cref="HostReport"/>s, so this grain never waits on a Machine (Machines wait on it).
/// </summary>
public interface IHostGrain : IGrainWithStringKey
{
    /// <summary>Queues a command for the agent; returns once the agent's session has accepted it.
    /// Fails with Unavailable when the agent is not connected.</summary>
    Task Submit(HostCommand command);

    /// <summary>An agent session started for this host; returns the keys of the Machines placed here,
    /// so the session can reconcile them against the agent's inventory.</summary>
    Task<IReadOnlyList<string>> Connect(HostRegistration registration, string sessionId, IAgentObserver agent);

    /// <summary>
    /// The session <paramref name="sessionId"/> is still open: its silo says so every few seconds. An
    /// activation that never knew it (the grain reactivated on another silo after its silo died, while the
    /// agent's stream stayed up) takes it as the current session. False when this grain has dropped it or
    /// a newer session replaced it: the silo then ends it, and the agent reconnects and reconciles.
    /// </summary>
    Task<bool> Renew(HostRegistration registration, string sessionId, IAgentObserver agent);

    /// <summary>The session ended. Ignored unless <paramref name="sessionId"/> is the current session.</summary>
    Task Disconnect(string sessionId, string reason);

    /// <summary>The Machine no longer takes capacity here (deleted, or found elsewhere).</summary>
    Task Forget(string machineKey);

    Task<HostInfo> GetInfo();

    /// <summary>The keys of the Machines and of the Volumes placed on this host: the resources whose
    /// samples this host's agent may report.</summary>
    Task<PlacedResources> GetPlaced();

    /// <summary>Removes an image from this host once no container uses it (a deleted MachineImage's
    /// capture). Recorded durably and repeated at every session until the agent reports it gone;
    /// returns without waiting for the agent, connected or not.</summary>
    Task RemoveImage(string imageLocation);

    /// <summary>The agent's word about an image removal.</summary>
    Task OnImageStatus(HostImageStatus status);

    /// <summary>The session <paramref name="sessionId"/> has reconciled its inventory: outstanding image
    /// removals are sent to it.</summary>
    Task Reconciled(string sessionId);

    /// <summary>
    /// The tail of a Machine's console from this host's agent. Unavailable when the agent is not connected
    /// or does not answer in time (bounded: see <see cref="CimiGrains.Machines.MachineConsole.AnswerTimeout"/>);
    /// Conflict with the agent's reason when it has no console for the Machine. Interleaved: a slow or
    /// silent agent never holds up commands for the host's other Machines.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<string> ReadConsole(string machineKey, int maxBytes);

    /// <summary>The agent of session <paramref name="sessionId"/> answered the console read
    /// <paramref name="requestId"/>; an answer no read waits for any more is dropped.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task OnConsoleTail(string sessionId, string requestId, ConsoleOutput output);

    /// <summary>Images still to be removed from this host.</summary>
    Task<IReadOnlyList<string>> GetImagesToRemove();

    /// <summary>
    /// The newest word of a Network about this host (see <see cref="NetworkHostView"/>). Kept durably per Network
    /// (an older <see cref="NetworkHostView.Version"/> than the kept one is ignored) and sent to the agent now
    /// when it is connected, and again at each new session; a view with Present false is dropped once sent.
    /// Returns without waiting for the agent.
    /// </summary>
    Task ApplyNetwork(NetworkHostView view);

    /// <summary>This host's underlay (VXLAN tunnel endpoint) address as its agent registered it; null when the
    /// host never registered one (it offers no Networks).</summary>
    Task<string?> GetUnderlayAddress();

    /// <summary>
    /// Serves the Volume <paramref name="volumeKey"/> of this host's pool over NBD to exactly
    /// <paramref name="clients"/> (none: it is served no more) and returns the export as kept: its port is
    /// allocated on the first call and kept until the export goes. Kept durably and sent to the agent now when
    /// it is connected, and again after each reconciliation; returns without waiting for the agent. Conflict
    /// when the host exports nothing (its agent registered no NBD host) or every export port is taken.
    /// </summary>
    Task<VolumeExport?> ExportVolume(string volumeKey, IReadOnlyList<NbdClient> clients);

    /// <summary>The address other hosts reach this host's exports at (null: it exports none).</summary>
    Task<string?> GetNbdHost();

    /// <summary>
    /// The agent of session <paramref name="sessionId"/> has bridges for <paramref name="networks"/> (its Inventory's
    /// Network keys): each one this host keeps no view of is answered with a removal (a NetworkState with present
    /// false), so a Network deleted while the agent was away does not stay on the host.
    /// </summary>
    Task ReconcileNetworks(string sessionId, IReadOnlyList<string> networks);

    /// <summary>The views this host keeps (see <see cref="ApplyNetwork"/>), by Network key.</summary>
    Task<IReadOnlyList<NetworkHostView>> GetNetworks();
}
