namespace CimiGrains.Gateway.Agents;

/// <summary>
/// How the silo serves host agents, from the environment. The agent API listens on its own port:
/// HTTP/2 only in cleartext (Kestrel's Http1AndHttp2 on a cleartext port silently serves HTTP/1.1,
/// which gRPC cannot use), or HTTP/2 over TLS when a certificate is configured.
/// </summary>
public sealed class AgentApiOptions
{
    /// <summary><c>CIMI_AGENT_PORT</c>; the agent API is off when <see cref="Secret"/> is unset.</summary>
    public int Port { get; init; } = 8081;

    /// <summary><c>CIMI_AGENT_ADDRESS</c>, else <c>CIMI_HTTP_ADDRESS</c>, else loopback.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary><c>CIMI_AGENT_SECRET</c>: the enrollment secret every agent must present.</summary>
    public string? Secret { get; init; }

    /// <summary><c>CIMI_AGENT_TLS_CERT</c> and <c>CIMI_AGENT_TLS_KEY</c>: PEM files; both or neither.</summary>
    public string? TlsCertificatePath { get; init; }

    public string? TlsKeyPath { get; init; }

    public bool Enabled => Secret is not null;

    public static AgentApiOptions FromEnvironment()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        var port = Env("CIMI_AGENT_PORT") is { } p
            ? (int.TryParse(p, out var parsed) && parsed is > 0 and < 65536 ? parsed : throw new InvalidOperationException($"CIMI_AGENT_PORT='{p}' is not a TCP port."))
            : 8081;
        var options = new AgentApiOptions
        {
            Port = port,
            Address = Env("CIMI_AGENT_ADDRESS") ?? Env("CIMI_HTTP_ADDRESS") ?? "127.0.0.1",
            Secret = Env("CIMI_AGENT_SECRET"),
            TlsCertificatePath = Env("CIMI_AGENT_TLS_CERT"),
            TlsKeyPath = Env("CIMI_AGENT_TLS_KEY"),
        };
        if ((options.TlsCertificatePath is null) != (options.TlsKeyPath is null))
            throw new InvalidOperationException("Set both CIMI_AGENT_TLS_CERT and CIMI_AGENT_TLS_KEY (PEM files), or neither.");
        return options;
    }
}
