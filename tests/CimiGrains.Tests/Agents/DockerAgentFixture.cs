namespace CimiGrains.Tests.Agents;

/// <summary>One gateway with one connected agent, shared by the Docker lifecycle tests (each makes its own tenant).</summary>
public sealed class DockerAgentFixture : IAsyncLifetime
{
    public AgentCloud Cloud { get; private set; } = null!;
    public AgentProcess Agent { get; set; } = null!;
    public string HostId { get; } = AgentCloud.NewHostId("dock");

    public async Task InitializeAsync()
    {
        Cloud = await AgentCloud.StartAsync("agents");
        Agent = await Cloud.StartAgentAsync(HostId);
    }

    /// <summary>
    /// Starts the agent again if a test killed it and failed before restarting it. Without this one
    /// failure would cascade into every later test of the collection as "no host agent is connected".
    /// </summary>
    public async Task EnsureAgentAsync()
    {
        if (!Agent.HasExited) return;
        await Agent.DisposeAsync();
        Agent = await Cloud.StartAgentAsync(HostId);
    }

    public async Task DisposeAsync() => await Cloud.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class DockerAgentCollection : ICollectionFixture<DockerAgentFixture>
{
    public const string Name = "docker-agent";
}
