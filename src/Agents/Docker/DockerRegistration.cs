using CimiGrains.Agents.Drivers;
using Docker.DotNet;
using Microsoft.Extensions.DependencyInjection;

namespace CimiGrains.Agents.Docker;

/// <summary>Registers the Docker driver under its name (<see cref="DockerDriver.DriverName"/>).</summary>
public static class DockerRegistration
{
    /// <summary>Adds the Docker driver, configured from <c>CIMI_AGENT_DOCKER</c>; whether it is offered is
    /// decided at start by its probe (the engine must answer).</summary>
    public static IServiceCollection AddDockerDriver(this IServiceCollection services)
    {
        var options = DockerDriverOptions.FromEnvironment();
        services.AddSingleton(options);
        // Debian's engine speaks API 1.41; the client must not ask for a newer one.
        services.AddSingleton(_ => new DockerClientConfiguration(options.Endpoint).CreateClient(new Version(1, 41)));
        services.AddSingleton<DockerDriver>();
        services.AddSingleton<IMachineDriver, DockerErrors>();
        return services;
    }
}
