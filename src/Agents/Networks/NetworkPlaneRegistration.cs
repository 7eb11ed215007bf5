using Microsoft.Extensions.DependencyInjection;

namespace CimiGrains.Agents.Networks;

/// <summary>Registers the host's network plane (disabled, refusing with the setting's name, without an underlay address).</summary>
public static class NetworkPlaneRegistration
{
    public static IServiceCollection AddNetworkPlane(this IServiceCollection services, AgentOptions agent)
    {
        services.AddSingleton(NetworkPlaneOptions.From(agent));
        services.AddSingleton<LinuxNetworkPlane>();
        services.AddSingleton<INetworkPlane>(sp => sp.GetRequiredService<LinuxNetworkPlane>());
        return services;
    }
}
