using CimiGrains.Agents.Drivers;
using Microsoft.Extensions.DependencyInjection;

namespace CimiGrains.Agents.Qemu;

/// <summary>Registers the QEMU driver under its name (<see cref="QemuDriver.DriverName"/>).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class QemuRegistration
{
    /// <summary>Adds the QEMU driver, configured from the <c>CIMI_AGENT_QEMU*</c> settings (a bad value stops
    /// the agent naming it); whether it is offered is decided at start by its probe (the binary and tools
    /// must run, the accelerator must be usable, the directories reachable).</summary>
    public static IServiceCollection AddQemuDriver(this IServiceCollection services, AgentOptions agent)
    {
        services.AddSingleton(QemuDriverOptions.FromEnvironment(agent.StateDirectory));
        services.AddSingleton<QemuDriver>();
        services.AddSingleton<IMachineDriver, QemuErrors>();
        return services;
    }
}
