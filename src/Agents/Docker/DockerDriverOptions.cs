namespace CimiGrains.Agents.Docker;

/// <summary>The Docker driver's own settings (the agent's are in <see cref="AgentOptions"/>).</summary>
public sealed class DockerDriverOptions
{
    /// <summary><c>CIMI_AGENT_DOCKER</c>: the Docker engine endpoint; defaults to the local socket.</summary>
    public Uri Endpoint { get; init; } = new("unix:///var/run/docker.sock");

    public static DockerDriverOptions FromEnvironment() =>
        Environment.GetEnvironmentVariable("CIMI_AGENT_DOCKER") is { Length: > 0 } value
            ? new DockerDriverOptions
            {
                Endpoint = Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri)
                    ? uri
                    : throw new InvalidOperationException($"CIMI_AGENT_DOCKER='{value}' is not an endpoint URL (unix:///var/run/docker.sock, tcp://host:2375)."),
            }
            : new DockerDriverOptions();
}
