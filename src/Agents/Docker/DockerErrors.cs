using CimiGrains.Agents.Drivers;
using Docker.DotNet;

namespace CimiGrains.Agents.Docker;

/// <summary>
/// The Docker driver as the agent sees it: every failure of the engine or of the way to it leaves as a
/// <see cref="DriverException"/> carrying the engine's own words, so the agent's driver-neutral code
/// catches one exception type whatever runtime is behind a driver.
/// </summary>
public sealed class DockerErrors(DockerDriver driver, DockerDriverOptions options) : TranslatingDriver(driver)
{
    public override Task CheckAvailableAsync(CancellationToken ct) => Run(async () =>
    {
        try
        {
            await driver.CheckAvailableAsync(ct);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or TimeoutException or IOException)
        {
            throw new DriverException($"the Docker engine at {options.Endpoint} is not usable: {e.Message} (scripts/docker.sh ensure starts it).", e);
        }
        return true;
    });

    protected override DriverException? Translate(Exception e) => e switch
    {
        DockerApiException api => new DriverException($"Docker: {(api.ResponseBody is { Length: > 0 } body ? body.Trim() : api.Message)}", api),
        HttpRequestException http => new DriverException($"The Docker engine did not answer: {http.Message}", http),
        _ => null,
    };
}
