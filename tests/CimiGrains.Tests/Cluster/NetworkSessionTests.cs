using System.Text.Json.Nodes;
using CimiGrains.Agents.Protocol;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// Networks over the agent wire, against a gateway process and a scripted agent: the Machine's create and attach
/// carry its interfaces, the host is sent its Networks' states as they change, again at every session and after
/// kill -9 of the whole cluster, and a Network the agent has but the cluster does not is answered with its removal.
/// </summary>
public sealed class NetworkSessionTests
{
    private const string AgentSecret = "network-session-secret";

    private static async Task<NetworkState> NextStateAsync(ScriptedAgent agent, Func<NetworkState, bool> wanted, string what)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (true)
            {
                var state = await agent.NetworkStates.Reader.ReadAsync(timeout.Token);
                if (wanted(state)) return state;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The agent was not sent {what} within 60 s.");
        }
    }

    /// <summary>The states sent until one of each of <paramref name="networks"/> arrived (in whatever order), the last of each.</summary>
    private static async Task<Dictionary<string, NetworkState>> StatesOfAsync(ScriptedAgent agent, string what, params string[] networks)
    {
        var seen = new Dictionary<string, NetworkState>(StringComparer.Ordinal);
        while (!networks.All(seen.ContainsKey))
        {
            var state = await NextStateAsync(agent, s => networks.Contains(s.NetworkId), $"{what} (so far: {string.Join(", ", seen.Keys)})");
            seen[state.NetworkId] = state;
        }
        return seen;
    }

    private static JsonObject NetworkCreate(string subnet) => new()
    {
        ["name"] = "net", ["networkTemplate"] = new JsonObject { ["networkConfig"] = new JsonObject { ["subnet"] = subnet } },
    };

    [Fact]
    public async Task Interfaces_and_Network_states_reach_the_agent_and_are_sent_again_per_session_and_after_kill_9()
    {
        var postgres = await TestDatabase.CreateAsync("netsession");
        var ports = FreePorts.Take(4);
        var environment = new Dictionary<string, string> { ["CIMI_AGENT_PORT"] = ports[3].ToString(), ["CIMI_AGENT_SECRET"] = AgentSecret };
        await using var agent = new ScriptedAgent(ports[3], "net-host", AgentSecret, underlayAddress: "192.0.2.10");
        string user, netKey, net2Key, machineKey;
        Command create;
        await using (var first = await GatewayProcess.StartAsync(postgres, environment, ports))
        {
            await agent.ConnectAsync();
            using var client = await Tenants.CreateAsync(first);
            user = client.User;
            var tenant = user[..^"-user".Length];
            var network = await CimiDocs.Created(client, "networks", NetworkCreate("10.88.0.0/24"));
            var network2 = await CimiDocs.Created(client, "networks", NetworkCreate("10.89.0.0/24"));
            netKey = $"{tenant}/{network[(network.LastIndexOf('/') + 1)..]}";
            net2Key = $"{tenant}/{network2[(network2.LastIndexOf('/') + 1)..]}";
            var template = await CimiDocs.TemplateAsync(client);
            var machineCreate = CimiDocs.MachineCreate(template, "on-net");
            machineCreate["machineTemplate"] = new JsonObject
            {
                ["href"] = template,
                ["networkInterfaces"] = new JsonArray(new JsonObject { ["network"] = new JsonObject { ["href"] = network } }),
            };
            var created = await client.PostAsync("machines", machineCreate);
            Assert.True(created.Code == 202, created.ToString());

            create = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(CommandKind.Create, create.Kind);
            machineKey = create.ResourceId;
            var nic = Assert.Single(create.Spec.NetworkInterfaces);
            Assert.Equal((netKey, "10.88.0.2/24", "PRIVATE", 1450), (nic.NetworkId, Assert.Single(nic.Addresses), nic.NetworkType, nic.Mtu));
            Assert.Matches("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$", nic.Mac);
            // The Network tells the host of itself once the interface is bound there.
            var state = await NextStateAsync(agent, s => s.NetworkId == netKey && s.Present, "the Network's state");
            Assert.Equal((tenant, nic.Vni, "10.88.0.0/24", true), (state.TenantId, state.Vni, state.Subnet, state.Started));
            await agent.SucceedAsync(create, ObservedState.Running);
            Assert.Equal("SUCCESS", (await client.WaitForJobAsync(created.JobUri())).Str("state"));

            // Attaching to a running Machine: the host plugs the interface the command carries; the Machine stays STARTED.
            var attached = await client.PostAsync(created.Header("Location")! + "/networkInterfaces",
                new JsonObject { ["network"] = new JsonObject { ["href"] = network2 } });
            Assert.True(attached.Code == 202, attached.ToString());
            var attach = await agent.NextCommandAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(CommandKind.AttachNetworkInterface, attach.Kind);
            Assert.Equal((net2Key, "10.89.0.2/24"), (attach.NetworkInterface.NetworkId, Assert.Single(attach.NetworkInterface.Addresses)));
            Assert.Equal(2, attach.Spec.NetworkInterfaces.Count);
            await NextStateAsync(agent, s => s.NetworkId == net2Key && s.Present, "the second Network's state");
            await agent.SucceedAsync(attach, ObservedState.Running);
            Assert.Equal("SUCCESS", (await client.WaitForJobAsync(attached.JobUri())).Str("state"));
            Assert.Equal("STARTED", (await client.GetAsync(created.Header("Location")!)).Json.Str("state"));

            // A new session: every Network is sent again, and one the agent has that the cluster does not is removed.
            await agent.DropAsync();
            await agent.ConnectAsync(Inventory(create, netKey, $"{tenant}/stale"));
            var again = await StatesOfAsync(agent, "every Network at the new session", netKey, net2Key, $"{tenant}/stale");
            Assert.True(again[netKey].Present && again[net2Key].Present);
            var removal = again[$"{tenant}/stale"];
            Assert.False(removal.Present);
            Assert.Equal(long.MaxValue, removal.Version);

            await first.KillAsync();
        }

        // The whole cluster died: what the host should have is in its grain's state, and comes back with the session.
        await using var second = await GatewayProcess.StartAsync(postgres, environment, ports);
        await agent.ConnectAsync(Inventory(create, netKey, net2Key));
        var restored = await StatesOfAsync(agent, "every Network after the restart", netKey, net2Key);
        Assert.True(restored[netKey].Present && restored[net2Key].Present);
        using var restarted = second.Client(user, Tenants.Password);
        var nics = await Eventually.Until(() => restarted.GetAsync(machineKey.Replace(machineKey.Split('/')[0] + "/", "machines/") + "/networkInterfaces"),
            r => r.Code == 200, "the Machine's interfaces after the restart");
        Assert.Equal(2, nics.Json["count"]!.GetValue<int>());
    }

    private static Inventory Inventory(Command create, params string[] networks)
    {
        var inventory = new Inventory { Networks = { networks } };
        inventory.Workloads.Add(new Workload
        {
            MachineKey = create.MachineKey, ResourceId = create.ResourceId, Generation = create.Generation, FenceGeneration = create.Generation,
            State = ObservedState.Running, ContainerId = "c-on-net",
        });
        return inventory;
    }
}
