using System.Text.Json.Nodes;
using CimiGrains.Tests.Agents.Networks;
using CimiGrains.Tests.Http;
using static CimiGrains.Tests.Http.Systems.SystemDocs;

namespace CimiGrains.Tests.Agents.Systems;

/// <summary>
/// A component that fails on a real Docker agent rolls the whole System back. The template's waves make sure that
/// everything before the failure really stands on the host: a Machine, a Network with its bridge, a Volume file
/// attached to a Machine on the Network through the System's NetworkPort, a ForwardingGroup and a second Network in it;
/// then a Machine whose image the engine does not have, on that second Network. Its Job fails naming the component and the missing image, the System is ERROR, and nothing is left: no
/// container, no Volume file or loop device, no bridge or veth, no CIMI resource.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemRollbackTests
{
    [Fact]
    public async Task A_Machine_whose_image_the_engine_lacks_rolls_back_every_member_made_on_the_host()
    {
        var run = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        var ns = $"cimsr{run}";
        var absent = $"cimigrains/absent-{run}:latest";
        Assert.False(await DockerCli.ImageExistsAsync(absent), $"{absent} must not be on the engine");
        var cloud = await AgentCloud.StartAsync("systemrollback");
        await PlaneRig.RunAsync("ip", "netns", "add", ns);
        try
        {
            var host = AgentCloud.NewHostId("sysr");
            // The host's network plane in a namespace of the test's own, with an underlay device of its own.
            // (a veth pair: this kernel has no dummy devices)
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "add", "underlay", "type", "veth", "peer", "name", "underlay-peer");
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "set", "underlay-peer", "up");
            await PlaneRig.RunAsync("ip", "-n", ns, "addr", "add", "10.252.9.1/24", "dev", "underlay");
            await PlaneRig.RunAsync("ip", "-n", ns, "link", "set", "underlay", "up");
            await cloud.StartAgentAsync(host, new Dictionary<string, string>
            {
                ["CIMI_AGENT_NETWORK_NAMESPACE"] = ns, ["CIMI_AGENT_UNDERLAY_ADDRESS"] = "10.252.9.1", ["CIMI_AGENT_UNDERLAY_DEVICE"] = "underlay",
            });
            var (client, _) = await cloud.NewTenantAsync();
            var pool = Path.Combine(cloud.StateDirectoryOf(host), "volumes");
            var demo = "docker:" + DockerCli.DemoImage;
            // Waves: net, data, db; port, fg (of net); app (on net through port, with data), c (in fg); bad (on c), made
            // once the rest stands: app must be STARTED on its port before bad is asked.
            var app = MachineComponent("app", network: "net", volume: "data", image: demo);
            app["machineTemplate"]!["networkInterfaces"]![0]!["networkPort"] = Ref("#port");
            var create = await client.PostAsync("systems", Create(Template("doomed",
                NetworkComponent("net"), VolumeComponent("data"), MachineComponent("db", image: demo),
                PortComponent("port", "net"), GroupComponent("fg", "net"), app, NetworkInGroupComponent("c", "fg"),
                MachineComponent("bad", network: "c", image: "docker:" + absent))));
            Assert.True(create.Code == 202, create.ToString());
            var id = create.Header("Location")!;

            // While the create runs, what the failure will have to undo is really on the host.
            var seen = new HashSet<string>();
            var job = await Eventually.Until(async () =>
            {
                if ((await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=cimigrains.host={host}")).Length > 0) seen.Add("container");
                if (Directory.Exists(pool) && Directory.EnumerateFiles(pool, "*.volume").Any()) seen.Add("volume file");
                if ((await PlaneRig.RunAsync("ip", "-n", ns, "-br", "link")).Contains("cimin", StringComparison.Ordinal)) seen.Add("bridge");
                return (await client.GetAsync(create.JobUri())).Json;
            }, j => j.Str("state") is "SUCCESS" or "FAILED", "the System's create to end", TimeSpan.FromMinutes(3));

            Assert.True(job.Str("state") == "FAILED", job.ToJsonString());
            var message = job.Str("statusMessage");
            Assert.True(message.Contains("Component 'bad' (Machine)", StringComparison.Ordinal) && message.Contains(absent, StringComparison.Ordinal),
                message);
            Assert.Contains("Everything the System had made was removed", message);
            Assert.Equal(["bridge", "container", "volume file"], seen.Order());
            await Eventually.Until(() => client.GetAsync(id), r => r.Json.Str("state") == "ERROR", "the System to settle in ERROR");

            foreach (var collection in new[] { "machines", "volumes", "networks", "networkPorts", "addresses", "forwardingGroups" })
                Assert.True((await client.GetAsync(collection)).Json["count"]!.GetValue<int>() == 0,
                    $"{collection} left after the rollback: {(await client.GetAsync(collection)).Body}");
            Assert.Equal("", await DockerCli.RunAsync("ps", "-aq", "--filter", $"label=cimigrains.host={host}"));
            await Eventually.Until(() => Task.FromResult(Directory.EnumerateFiles(pool).ToList()), f => f.Count == 0,
                "the Volume pool to hold no file");
            Assert.DoesNotContain(pool, await PlaneRig.RunAsync("losetup", "-a"));
            var links = await Eventually.Until(() => PlaneRig.RunAsync("ip", "-n", ns, "-br", "link"),
                l => !l.Contains("cimin", StringComparison.Ordinal) && !l.Contains("cimiv", StringComparison.Ordinal),
                $"{ns} to hold no bridge or veth of the System's Network");
            Assert.DoesNotContain("cimip", links);
            Assert.DoesNotContain("cimix", links);
            Assert.Empty(await DockerNetworks.OfHostAsync(host));

            // The System that failed is deleted like any other.
            var delete = await client.DeleteAsync(id);
            Assert.True(delete.Code == 202, delete.ToString());
            Assert.Equal("SUCCESS", (await client.WaitForJobAsync(delete.JobUri(), TimeSpan.FromMinutes(1))).Str("state"));
        }
        finally
        {
            try
            {
                await cloud.DisposeAsync();
            }
            catch (IOException)
            {
                // A failure above left a mount behind; the failure, not the clean-up, is what the test reports.
            }
            await PlaneRig.RunAsync("ip", "netns", "del", ns);
        }
    }
}
