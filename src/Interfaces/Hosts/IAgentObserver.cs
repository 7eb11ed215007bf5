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
    /// Asks the agent for the tail (at most <paramref name="maxBytes"/>) of a hosted resource's console and
    /// waits for its answer, at most <see cref="CimiGrains.Machines.MachineConsole.AnswerTimeout"/> (then
    /// Unavailable). Fails at once when the session has closed. Observers that do not relay to an agent
    /// (test hosts) keep the default: no console.
    /// </summary>
    Task<ConsoleOutput> ReadConsole(HostedKind kind, string resourceKey, int maxBytes) =>
        Task.FromResult(new ConsoleOutput(null, "This host keeps no console."));

    /// <summary>Answers while the session is open; fails once its silo or stream is gone.</summary>
    Task<string> Ping();
}
