using System.Text.Json.Nodes;
using CimiGrains.Tests.Agents.Networks;
using CimiGrains.Tests.Http;
using static CimiGrains.Tests.Http.Systems.SystemDocs;

namespace CimiGrains.Tests.Agents.Systems;

/// <summary>
/// A System end to end on two hosts: two agents (one Docker engine, two host ids), each with its network plane in a
/// namespace of the test's own, joined by an underlay veth, as two hosts on one wire. A template of a Network, a
/// Volume, two web Machines and a database Machine with the Volume becomes a STARTED System whose web Machines are
/// spread over both hosts and reach the database over the System's Network; stop and start reach every Machine;
/// delete leaves no container, Volume or Network behind.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemAcrossHostsTests
{
    [Fact]
    public async Task A_System_spreads_over_two_hosts_works_together_stops_starts_and_leaves_nothing_when_deleted()
    {
        var run = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        string ns1 = $"cimsa{run}", ns2 = $"cimsb{run}";
        var cloud = await AgentCloud.StartAsync("systems");
        await PlaneRig.RunAsync("ip", "netns", "add", ns1);
        await PlaneRig.RunAsync("ip", "netns", "add", ns2);
        try
        {
            // The underlay wire between the two hosts' namespaces.
            await PlaneRig.RunAsync("ip", "-n", ns1, "link", "add", "underlay", "type", "veth", "peer", "name", "underlay", "netns", ns2);
            foreach (var (ns, address) in new[] { (ns1, "10.252.7.1"), (ns2, "10.252.7.2") })
            {
                await PlaneRig.RunAsync("ip", "-n", ns, "addr", "add", address + "/24", "dev", "underlay");
                await PlaneRig.RunAsync("ip", "-n", ns, "link", "set", "underlay", "up");
            }
            var hosts = new[] { AgentCloud.NewHostId("sysa"), AgentCloud.NewHostId("sysb") };
            await cloud.StartAgentAsync(hosts[0], Plane(ns1, "10.252.7.1"));
            await cloud.StartAgentAsync(hosts[1], Plane(ns2, "10.252.7.2"));
            var (client, _) = await cloud.NewTenantAsync();

            var create = await client.PostAsync("systems", Create(Template("shop",
                NetworkComponent("net"), VolumeComponent("data"),
                MachineComponent("web", 2, network: "net", image: "docker:" + DockerCli.DemoImage),
                MachineComponent("db", 1, network: "net", volume: "data", image: "docker:" + DockerCli.DemoImage))));
            Assert.True(create.Code == 202, create.ToString());
            var job = await client.WaitForJobAsync(create.JobUri(), TimeSpan.FromMinutes(3));
            Assert.True(job.Str("state") == "SUCCESS", job.ToJsonString());
            var id = create.Header("Location")!;
            var system = await Eventually.Until(() => client.GetAsync(id), r => r.Json.Str("state") == "STARTED", "the System to be STARTED");
            // Every Machine's, Volume's create Job is nested in the System's.
            Assert.Equal(4, job["nestedJobs"]!.AsArray().Count);

            var machines = await MembersAsync(client, system.Json, "machines", "systemMachines", "machine");
            Assert.Equal(3, machines.Count);
            var docs = new Dictionary<string, JsonObject>();
            foreach (var m in machines) docs[m] = (await client.GetAsync(m)).Json;
            Assert.All(docs.Values, d => Assert.Equal("STARTED", d.Str("state")));
            var web = docs.Where(d => d.Value.Str("name").StartsWith("web-", StringComparison.Ordinal)).ToList();
            var db = docs.Single(d => d.Value.Str("name") == "db");
            Assert.NotEqual(web[0].Value.Str("host"), web[1].Value.Str("host"));
            var volume = (await MembersAsync(client, system.Json, "volumes", "systemVolumes", "volume")).Single();
            var attached = await Eventually.Until(() => client.GetAsync(volume), r => r.Json["attachedTo"] is JsonArray { Count: 1 }, "the Volume to be attached");
            Assert.Equal(db.Key, attached.Json["attachedTo"]![0].Str("href"));

            // The web Machines reach the database over the System's Network, across hosts.
            var dbKey = MachineWorkloads.KeyOf(client, db.Key);
            var dbIp = await AddressOfAsync(client, db.Key);
            await DockerNetworkHost.ShAsync(dbKey, "mkdir -p /tmp/w; echo from-db > /tmp/w/index.html; busybox httpd -p 8000 -h /tmp/w");
            foreach (var (webId, _) in web)
            {
                var key = MachineWorkloads.KeyOf(client, webId);
                var (ok, output) = await Eventually.Until(
                    () => DockerNetworkHost.ShAsync(key, $"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 {dbIp} 8000"),
                    r => r.Output.Contains("from-db", StringComparison.Ordinal), $"{webId} to reach the database at {dbIp}", TimeSpan.FromSeconds(30));
                Assert.True(ok, output);
            }

            // stop and start reach every Machine, with one parent Job.
            foreach (var (action, expected, docker) in new[] { ("stop", "STOPPED", "exited"), ("start", "STARTED", "running") })
            {
                var acted = await client.PostAsync(id, CimiDocs.Action(action));
                Assert.True(acted.Code == 202, acted.ToString());
                var actJob = await client.WaitForJobAsync(acted.JobUri(), TimeSpan.FromMinutes(2));
                Assert.True(actJob.Str("state") == "SUCCESS", actJob.ToJsonString());
                Assert.Equal(3, actJob["nestedJobs"]!.AsArray().Count);
                await Eventually.Until(() => client.GetAsync(id), r => r.Json.Str("state") == expected, $"the System to be {expected}");
                foreach (var m in machines) Assert.Equal(docker, await DockerCli.StateOfAsync(MachineWorkloads.KeyOf(client, m)));
            }

            var delete = await client.DeleteAsync(id);
            Assert.True(delete.Code == 202, delete.ToString());
            Assert.Equal("SUCCESS", (await client.WaitForJobAsync(delete.JobUri(), TimeSpan.FromMinutes(2))).Str("state"));
            foreach (var m in machines) Assert.Equal("absent", await DockerCli.StateOfAsync(MachineWorkloads.KeyOf(client, m)));
            foreach (var collection in new[] { "systems", "machines", "volumes", "networks" })
                Assert.Equal(0, (await client.GetAsync(collection)).Json["count"]!.GetValue<int>());
            // Neither host keeps a device of the Network.
            foreach (var ns in new[] { ns1, ns2 })
            {
                var links = await Eventually.Until(() => PlaneRig.RunAsync("ip", "-n", ns, "-br", "link"),
                    l => !l.Contains("cimin", StringComparison.Ordinal) && !l.Contains("cimix", StringComparison.Ordinal), $"{ns} to hold no Network device");
                Assert.DoesNotContain("cimip", links);
            }
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
            await PlaneRig.RunAsync("ip", "netns", "del", ns1);
            await PlaneRig.RunAsync("ip", "netns", "del", ns2);
        }
    }

    private static Dictionary<string, string> Plane(string ns, string underlay) => new()
    {
        ["CIMI_AGENT_NETWORK_NAMESPACE"] = ns,
        ["CIMI_AGENT_UNDERLAY_ADDRESS"] = underlay,
        ["CIMI_AGENT_UNDERLAY_DEVICE"] = "underlay",
    };

    private static async Task<List<string>> MembersAsync(CimiClient client, JsonObject system, string collection, string array, string attribute)
    {
        var listed = await client.GetAsync(system[collection].Str("href"));
        Assert.True(listed.Code == 200, listed.ToString());
        return [.. listed.Json[array]!.AsArray().Select(i => i![attribute].Str("href"))];
    }

    /// <summary>The IPv4 address the Machine's first interface was leased.</summary>
    private static async Task<string> AddressOfAsync(CimiClient client, string machine)
    {
        var interfaces = (await client.GetAsync(machine + "/networkInterfaces")).Json["machineNetworkInterfaces"]!.AsArray();
        var addresses = (await client.GetAsync(interfaces[0]!["addresses"].Str("href"))).Json["machineNetworkInterfaceAddresses"]!.AsArray();
        var address = (await client.GetAsync(addresses[0]!["address"].Str("href"))).Json;
        return address.Str("ip");
    }
}
