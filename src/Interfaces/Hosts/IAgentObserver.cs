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

    /// <summary>Answers while the session is open; fails once its silo or stream is gone.</summary>
    Task<string> Ping();
}
