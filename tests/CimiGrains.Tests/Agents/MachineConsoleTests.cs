using System.Diagnostics;
using System.Text.Json.Nodes;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents;

/// <summary>
/// The console extension end to end: a real gateway, a Docker agent and a Machine whose container writes
/// to its output (<see cref="ConsoleImage"/>). <c>GET {machine}/console</c> answers the output's tail as text/plain, is isolated per
/// tenant as every Machine route is, refuses bad <c>maxBytes</c> by name, and answers at once when the
/// Machine's host is away (never a hang).
/// </summary>
public sealed class MachineConsoleTests
{
    private const string ConsoleRel = "urn:cimigrains:cimi:extensions:1/action/console";

    /// <summary>
    /// An image whose init writes four lines naming its Machine to its standard output (what Docker records
    /// as the container's output) and then waits for SIGTERM; the demo image writes to a log file instead.
    /// Built once on the engine from the host's busybox, as scripts/docker.sh builds the demo image.
    /// </summary>
    private const string ConsoleImage = "cimigrains/console-test:latest";

    private static readonly Dictionary<string, string> PublicConsoleImage = new() { ["CIMI_PUBLIC_IMAGES"] = "docker:" + ConsoleImage };

    private static async Task EnsureConsoleImageAsync()
    {
        if (await DockerCli.ImageExistsAsync(ConsoleImage)) return;
        const string script = """
            set -e
            root=$(mktemp -d)
            trap 'rm -rf "$root"' EXIT
            mkdir -p "$root/bin" "$root/tmp" "$root/run/cimi" "$root/proc" "$root/sys" "$root/dev"
            cp /bin/busybox "$root/bin/busybox"
            for tool in sh echo sleep; do ln -s busybox "$root/bin/$tool"; done
            cat >"$root/bin/console-init" <<'INIT'
            #!/bin/sh
            for i in 1 2 3; do echo "console of $CIMI_MACHINE line $i"; done
            echo "console of $CIMI_MACHINE end"
            trap 'exit 0' TERM INT
            while :; do sleep 3600 & wait $!; done
            INIT
            chmod 755 "$root/bin/console-init"
            tar -C "$root" -c . | DOCKER_API_VERSION=1.41 docker import --change 'CMD ["/bin/console-init"]' --change 'ENV PATH=/bin' - cimigrains/console-test:latest >/dev/null
            """;
        var info = new ProcessStartInfo("sh", ["-c", script]) { RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"building {ConsoleImage}: {error}");
    }

    /// <summary>A tenant whose template boots <see cref="ConsoleImage"/>.</summary>
    private static async Task<(CimiClient Client, JsonObject Template)> ConsoleTenantAsync(AgentCloud cloud)
    {
        var (client, template) = await cloud.NewTenantAsync();
        var image = await client.PostAsync("machineImages", new JsonObject { ["name"] = "console", ["imageLocation"] = "docker:" + ConsoleImage });
        Assert.True(image.Code == 201, $"registering the console image: {image}");
        template["machineImage"] = new JsonObject { ["href"] = image.Json["id"]!.GetValue<string>() };
        return (client, template);
    }

    [Fact]
    public async Task The_console_of_a_Docker_Machine_is_its_container_output_tail()
    {
        await EnsureConsoleImageAsync();
        await using var cloud = await AgentCloud.StartAsync("console", gatewayEnvironment: PublicConsoleImage);
        await cloud.StartAgentAsync(AgentCloud.NewHostId("con"));
        var (client, template) = await ConsoleTenantAsync(cloud);
        var (id, key) = await CreateAsync(client, template);
        var marker = $"console of {key}";

        // The Machine advertises the console once placed, under the extension's URI.
        var machine = await GetAsync(client, id);
        var operation = machine["operations"]!.AsArray().Single(o => o!["rel"]!.GetValue<string>() == ConsoleRel)!;
        Assert.Equal(client.Absolute(id) + "/console", operation["href"]!.GetValue<string>());

        var console = await Eventually.Until(() => client.GetAsync(id + "/console", "text/plain"),
            r => r.Code != 200 || r.Body.Contains($"{marker} end"), "the Machine's output to reach its console", TimeSpan.FromSeconds(60));
        Assert.True(console.Code == 200, $"the console: {console}");
        Assert.Equal("text/plain", console.ContentType);
        Assert.Contains("charset=utf-8", console.Header("Content-Type"));
        Assert.Contains($"{marker} line 1\n{marker} line 2\n{marker} line 3\n{marker} end", console.Body);

        // A bound keeps the end of the output: the last bytes, no more.
        var tail = await client.GetAsync(id + "/console?maxBytes=12", "text/plain");
        Assert.Equal(200, tail.Code);
        Assert.Equal($"{marker} end\n"[^12..], tail.Body);

        // */* and no Accept are fine too; a client that takes only CIMI documents is told what the console is.
        Assert.Equal(200, (await client.GetAsync(id + "/console", "*/*")).Code);
        var json = await client.GetAsync(id + "/console", "application/json");
        Assert.Equal(406, json.Code);
        Assert.Contains("text/plain", json.Json["message"]!.GetValue<string>());

        // The Machine's ResourceMetadata describes the extension.
        var metadata = (await client.GetAsync("resourceMetadata/Machine")).Json;
        var action = metadata["actions"]!.AsArray().Single(a => a!["uri"]!.GetValue<string>() == ConsoleRel)!;
        Assert.Equal("GET", action["method"]!.GetValue<string>());
        Assert.Equal("text/plain", action["outputMessage"]!.GetValue<string>());

        await DeleteAsync(client, id);
    }

    [Fact]
    public async Task Another_tenant_gets_404_for_a_console_exactly_as_for_a_Machine_that_does_not_exist_and_bad_maxBytes_are_400()
    {
        await EnsureConsoleImageAsync();
        await using var cloud = await AgentCloud.StartAsync("console-tenants", gatewayEnvironment: PublicConsoleImage);
        await cloud.StartAgentAsync(AgentCloud.NewHostId("cont"));
        var (alice, template) = await ConsoleTenantAsync(cloud);
        using var bob = await Tenants.CreateAsync(cloud.Gateway, "bob");
        var (id, key) = await CreateAsync(alice, template);
        var marker = $"console of {key}";
        await Eventually.Until(() => alice.GetAsync(id + "/console"), r => r.Body.Contains(marker), "alice's console to show the marker");
        var localId = id[(id.LastIndexOf('/') + 1)..];

        var stolen = await bob.GetAsync($"machines/{localId}/console");
        var missing = await bob.GetAsync($"machines/{Guid.NewGuid():N}/console");
        Assert.Equal(404, stolen.Code);
        Assert.Equal(404, missing.Code);
        Assert.DoesNotContain(marker, stolen.Body);
        Assert.Equal(Shape(missing.Json["message"]!.GetValue<string>()), Shape(stolen.Json["message"]!.GetValue<string>()));
        Assert.Equal(401, (await new CimiClient(cloud.Gateway.BaseAddress, "nobody", "wrong-password").GetAsync(id + "/console")).Code);

        foreach (var bad in new[] { "0", "-1", "abc", "1.5", "1048577", "99999999999", "" })
        {
            var refused = await alice.GetAsync($"{id}/console?maxBytes={Uri.EscapeDataString(bad)}");
            Assert.True(refused.Code == 400, $"maxBytes={bad}: {refused}");
            Assert.Contains("'maxBytes", refused.Json["message"]!.GetValue<string>());
        }
        var twice = await alice.GetAsync($"{id}/console?maxBytes=10&maxBytes=20");
        Assert.Equal(400, twice.Code);
        Assert.Contains("given 2 times", twice.Json["message"]!.GetValue<string>());
        Assert.Equal(200, (await alice.GetAsync($"{id}/console?maxBytes=1048576")).Code);

        await DeleteAsync(alice, id);

        // A message with the ids it names replaced, so the answers for two ids can be compared.
        static string Shape(string message) => System.Text.RegularExpressions.Regex.Replace(message, "[0-9a-f]{32}", "X");
    }

    [Fact]
    public async Task With_its_agent_killed_a_Machine_console_answers_503_at_once_and_a_Machine_never_placed_answers_409()
    {
        await using var cloud = await AgentCloud.StartAsync("console-away");
        var agent = await cloud.StartAgentAsync(AgentCloud.NewHostId("cona"));
        var (client, template) = await cloud.NewTenantAsync();
        var (id, _) = await CreateAsync(client, template);
        Assert.Equal(200, (await client.GetAsync(id + "/console")).Code);

        await agent.KillAsync();
        var away = await Eventually.Until(async () =>
        {
            var watch = Stopwatch.StartNew();
            var response = await client.GetAsync(id + "/console");
            // Every answer comes fast, also the ones that race the session's end (a 503 saying the
            // session ended before it answered), and none is anything but the tail or a 503.
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the console answered after {watch.Elapsed}: {response}");
            Assert.True(response.Code is 200 or 503, $"the console while the agent dies: {response}");
            return response;
        }, r => r.Code == 503 && r.Json["message"]!.GetValue<string>().Contains("not connected"), "the console to say the host's agent is not connected");
        Assert.NotNull(away.Header("Retry-After"));

        // A configuration no host can hold: the create fails, the Machine never had a host, so no console.
        var (tooLarge, _) = await CreateAsync(client, await WithConfigurationAsync(client, template, cpu: 1024), expectSuccess: false);
        var unplaced = await client.GetAsync(tooLarge + "/console");
        Assert.Equal(409, unplaced.Code);
        Assert.Contains("has not been placed on a host", unplaced.Json["message"]!.GetValue<string>());
        Assert.DoesNotContain(ConsoleRel, (await GetAsync(client, tooLarge)).ToJsonString());
    }

    /// <summary><paramref name="template"/> with a new configuration of <paramref name="cpu"/> CPUs.</summary>
    public static async Task<JsonObject> WithConfigurationAsync(CimiClient client, JsonObject template, int cpu, long memoryKiB = 128 * 1024)
    {
        var config = await client.PostAsync("machineConfigs", new JsonObject { ["name"] = "big", ["cpu"] = cpu, ["memory"] = memoryKiB });
        Assert.True(config.Code == 201, $"creating the configuration: {config}");
        var changed = template.DeepClone().AsObject();
        changed["machineConfig"] = new JsonObject { ["href"] = config.Json["id"]!.GetValue<string>() };
        return changed;
    }
}
