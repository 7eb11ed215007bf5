using CimiGrains.Agents;
using CimiGrains.Agents.Docker;
using CimiGrains.Agents.Drivers;
using Docker.DotNet;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The host agent: one process per host id, configured by environment (docs/AGENTS.md).
AgentOptions options;
try
{
    options = AgentOptions.FromEnvironment();
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"cimigrains-agent: {e.Message}");
    return 2;
}

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});
builder.Services.AddSingleton(options);
// Debian's engine speaks API 1.41; the client must not ask for a newer one.
builder.Services.AddSingleton(_ => new DockerClientConfiguration(options.DockerEndpoint).CreateClient(new Version(1, 41)));
builder.Services.AddSingleton<IMachineDriver, DockerDriver>();
builder.Services.AddSingleton(_ => new GenerationStore(options.StateDirectory));
builder.Services.AddSingleton<CommandExecutor>();
builder.Services.AddSingleton<ImageRemovals>();
builder.Services.AddHostedService<AgentWorker>();
builder.Services.Configure<HostOptions>(o => o.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.StopHost);

using var host = builder.Build();
try
{
    await host.RunAsync();
}
catch (Exception e) when (e is HttpRequestException or DockerApiException or TimeoutException)
{
    Console.Error.WriteLine($"cimigrains-agent: the Docker engine at {options.DockerEndpoint} is not usable: {e.Message} (scripts/docker.sh ensure starts it).");
    return 3;
}
return Environment.ExitCode;
