namespace CimiGrains.Agents.Networks;

/// <summary>How the host's network plane is set up (from <see cref="AgentOptions"/>; docs/AGENTS.md).</summary>
public sealed class NetworkPlaneOptions
{
    /// <summary><c>CIMI_AGENT_UNDERLAY_ADDRESS</c>: this host's VXLAN endpoint; null: the host offers no Networks.</summary>
    public string? UnderlayAddress { get; init; }

    /// <summary><c>CIMI_AGENT_UNDERLAY_DEVICE</c>: the device VXLAN packets leave by; null: wherever the route to each peer says.</summary>
    public string? UnderlayDevice { get; init; }

    /// <summary><c>CIMI_AGENT_EXTERNAL_DEVICE</c>: the device PUBLIC Networks are masqueraded out of; null: the default route's.</summary>
    public string? ExternalDevice { get; init; }

    /// <summary><c>CIMI_AGENT_NETWORK_NAMESPACE</c>: a named network namespace (<c>ip netns</c>) the plane builds in
    /// instead of the agent's own; the tests use it to run several hosts' planes in one process.</summary>
    public string? Namespace { get; init; }

    /// <summary>Where the plane keeps its records: <c>{CIMI_AGENT_STATE_DIR}/networks</c>.</summary>
    public required string StateDirectory { get; init; }

    public static NetworkPlaneOptions From(AgentOptions agent) => new()
    {
        UnderlayAddress = agent.UnderlayAddress,
        UnderlayDevice = agent.UnderlayDevice,
        ExternalDevice = agent.ExternalDevice,
        Namespace = agent.NetworkNamespace,
        StateDirectory = Path.Combine(agent.StateDirectory, "networks"),
    };
}
