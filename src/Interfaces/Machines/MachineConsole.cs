namespace CimiGrains.Machines;

/// <summary>
/// The console extension (docs/CONSOLE.md): <c>GET {machine id}/console?maxBytes=N</c> answers the tail of
/// what the Machine wrote to its console (a VM's serial console log, a container's output) as UTF-8
/// text, read from its host's agent through the agent's stream. Stated once here for the grains (the
/// Machine's operations), the Gateway (the route, its limits, ResourceMetadata) and the agent session.
/// </summary>
public static class MachineConsole
{
    /// <summary>The operation's rel, in the CimiGrains extension namespace (as the DMTF's own are
    /// <c>…/cimi/1/action/{name}</c>): a consumer finds the console's href under it in a Machine's operations.</summary>
    public const string OperationUri = "urn:cimigrains:cimi:extensions:1/action/console";

    /// <summary>The path segment after the Machine's id.</summary>
    public const string Segment = "console";

    /// <summary>The query parameter bounding the tail, in bytes.</summary>
    public const string MaxBytesParameter = "maxBytes";

    /// <summary>Bytes of tail when <see cref="MaxBytesParameter"/> is not given: 64 KiB.</summary>
    public const int DefaultMaxBytes = 64 * 1024;

    /// <summary>The most a consumer may ask for at once: 1 MiB (one answer on the agent's stream).</summary>
    public const int MaxMaxBytes = 1024 * 1024;

    /// <summary>How long the cluster waits for a host's agent to answer with the tail. Beyond it the answer
    /// is 503: an agent that is alive answers at once, one that predates consoles never does. Well under
    /// the silo's response timeout (10 s), so the wait ends with this clear answer, not a grain-call timeout.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);
}
