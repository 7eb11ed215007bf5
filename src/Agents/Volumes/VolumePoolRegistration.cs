using Microsoft.Extensions.DependencyInjection;

namespace CimiGrains.Agents.Volumes;

/// <summary>Registers the host's volume pool and the executor of Volume commands.</summary>
public static class VolumePoolRegistration
{
    /// <summary>Adds the volume pool configured from <c>CIMI_AGENT_VOLUME_POOL</c> and <c>CIMI_AGENT_VOLUME_POOL_KIB</c>,
    /// checked now: a directory that cannot be made or written, or a bad capacity, stops the agent naming the setting.</summary>
    public static IServiceCollection AddVolumePool(this IServiceCollection services, AgentOptions agent)
    {
        services.AddSingleton(VolumePoolOptions.FromEnvironment(agent.StateDirectory));
        services.AddSingleton<VolumePool>();
        services.AddSingleton<IVolumePool>(sp => sp.GetRequiredService<VolumePool>());
        services.AddSingleton<VolumeImageTransfers>();
        services.AddSingleton<VolumeCommands>();
        services.AddSingleton<VolumeExportServer>();
        return services;
    }
}
