namespace CimiGrains.Hosts;

/// <summary>
/// The cluster's handle on one connected agent: an object in the silo that holds the agent's gRPC
/// stream, made addressable from every silo with <c>IGrainFactory.CreateObjectReference</c>.
/// </summary>
public interface IAgentObserver : IGrainObserver
{
    /// <summary>Queues the command on the agent's stream.</summary>
    Task Deliver(HostCommand command);

    /// <summary>Queues a request to remove an image from the host (see <see cref="IHostGrain.RemoveImage"/>).</summary>
    Task RemoveImage(string imageLocation);

    /// <summary>
    /// Queues a request for the tail (at most <paramref name="maxBytes"/>) of a hosted resource's console on
    /// the agent's stream and returns at once: an observer runs one call at a time, so waiting here for the
    /// agent would hold up the session's commands and pings. The agent's answer comes back through
    /// <see cref="IHostGrain.OnConsoleTail"/> with <paramref name="requestId"/>. Observers that do not relay
    /// to an agent (test hosts) keep the default: they refuse.
    /// </summary>
    Task RequestConsole(string requestId, HostedKind kind, string resourceKey, int maxBytes) =>
        Task.FromException(new InvalidOperationException("This host keeps no console."));

    /// <summary>Queues the whole list of this host's NBD exports (see <see cref="IHostGrain.ExportVolume"/>).
    /// Observers that do not relay to an agent (test hosts) keep the default: they accept and drop it.</summary>
    Task ExportVolumes(IReadOnlyList<VolumeExport> exports) => Task.CompletedTask;

    /// <summary>
    /// Queues a Network's view for the agent (a NetworkState on its stream; see <see cref="IHostGrain.ApplyNetwork"/>).
    /// Observers that do not relay to an agent keep the default: they refuse, and the host keeps the view.
    /// </summary>
    Task ApplyNetwork(NetworkHostView view) =>
        Task.FromException(new InvalidOperationException("This host realizes no Networks."));

    /// <summary>Answers while the session is open; fails once its silo or stream is gone.</summary>
    Task<string> Ping();
}
