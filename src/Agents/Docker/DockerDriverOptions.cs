namespace CimiGrains.Agents.Docker;

/// <summary>The Docker driver's own settings (the agent's are in <see cref="AgentOptions"/>).</summary>
public sealed class DockerDriverOptions
{
    /// <summary><c>CIMI_AGENT_DOCKER</c>: the Docker engine endpoint; defaults to the local socket.</summary>
    public Uri Endpoint { get; init; } = new("unix:///var/run/docker.sock");

    /// <summary><c>CIMI_AGENT_DOCKER_HOST_GUARD</c> (on|off, default on): whether the agent drops connections its
    /// containers start towards the host itself (<see cref="HostGuard"/>).</summary>
    public bool HostGuard { get; init; } = true;

    public static DockerDriverOptions FromEnvironment()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;
        var defaults = new DockerDriverOptions();
        return new DockerDriverOptions
        {
            Endpoint = Env("CIMI_AGENT_DOCKER") is not { } value
                ? defaults.Endpoint
                : Uri.TryCreate(value, UriKind.Absolute, out var uri)
                    ? uri
                    : throw new InvalidOperationException($"CIMI_AGENT_DOCKER='{value}' is not an endpoint URL (unix:///var/run/docker.sock, tcp://host:2375)."),
            HostGuard = Env("CIMI_AGENT_DOCKER_HOST_GUARD")?.ToLowerInvariant() switch
            {
                null or "on" or "true" or "1" => true,
                "off" or "false" or "0" => false,
                var other => throw new InvalidOperationException($"CIMI_AGENT_DOCKER_HOST_GUARD='{other}' is neither on nor off."),
            },
        };
    }
}
