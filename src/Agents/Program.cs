using CimiGrains.Agents;
using CimiGrains.Agents.Drivers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The host agent: one process per host id, configured by environment (docs/AGENTS.md).
AgentOptions options;
var builder = Host.CreateApplicationBuilder(args);
try
{
    options = AgentOptions.FromEnvironment();
    // The drivers this agent can offer, one line each; the probe at start keeps those that can run here.
    CimiGrains.Agents.Docker.DockerRegistration.AddDockerDriver(builder.Services);
    if (OperatingSystem.IsLinux()) CimiGrains.Agents.Qemu.QemuRegistration.AddQemuDriver(builder.Services, options);
    CimiGrains.Agents.Volumes.VolumePoolRegistration.AddVolumePool(builder.Services, options);
    CimiGrains.Agents.Networks.NetworkPlaneRegistration.AddNetworkPlane(builder.Services, options);
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"cimigrains-agent: {e.Message}");
    return 2;
}

builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<HostDrivers>();
builder.Services.AddSingleton(_ => new GenerationStore(options.StateDirectory));
builder.Services.AddSingleton<CimiGrains.Agents.Images.ImageStoreClient>();
builder.Services.AddSingleton<CimiGrains.Agents.Images.ImageTransfers>();
builder.Services.AddSingleton<CommandExecutor>();
builder.Services.AddSingleton<ImageRemovals>();
builder.Services.AddHostedService<AgentWorker>();
builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost);

using var host = builder.Build();
try
{
    await host.RunAsync();
}
catch (DriverException e)
{
    // No driver can run here (each driver's probe says why).
    Console.Error.WriteLine($"cimigrains-agent: {e.Message}");
    return 3;
}
return Environment.ExitCode;
