using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Security;

/// <summary>Machines on Networks in the tenant-isolation test: every place a request body names a Network for a
/// Machine, with another tenant's Network in it, is answered as for a Network that does not exist (404).</summary>
public sealed partial class TenantIsolationTests
{
    private static List<ReferenceCase> MachineNetworkReferenceCases(Bob b)
    {
        JsonObject Nic(string network) => new() { ["network"] = new JsonObject { ["href"] = network } };
        JsonObject Create(JsonObject template) => new() { ["name"] = "bob-m", ["machineTemplate"] = template };
        return
        [
            new("MachineNetworkInterface.network", "networks", (c, id) => c.PostAsync(b.Machine + "/networkInterfaces", Nic(id)), Expect: 404),
            new("MachineNetworkInterface.network in XML", "networks", (c, id) => c.SendAsync(HttpMethod.Post, b.Machine + "/networkInterfaces",
                $"<MachineNetworkInterface xmlns=\"http://schemas.dmtf.org/cimi/1\"><network href=\"{id}\"/></MachineNetworkInterface>", "application/xml"),
                Expect: 404),
            new("MachineCreate B's template with networkInterfaces", "networks", (c, id) =>
            {
                var template = new JsonObject { ["href"] = b.Template, ["networkInterfaces"] = new JsonArray(Nic(id)) };
                return c.PostAsync("machines", Create(template));
            }, Expect: 404),
            new("MachineCreate networkInterfaces in XML", "networks", (c, id) => c.SendAsync(HttpMethod.Post, "machines",
                $"<MachineCreate xmlns=\"http://schemas.dmtf.org/cimi/1\"><name>m</name><machineTemplate href=\"{b.Template}\">" +
                $"<networkInterface><network href=\"{id}\"/><state>ACTIVE</state></networkInterface></machineTemplate></MachineCreate>", "application/xml"),
                Expect: 404),
            new("MachineTemplate.networkInterfaces", "networks", (c, id) =>
            {
                var template = CimiDocs.Template(b.Config, b.Image);
                template["networkInterfaces"] = new JsonArray(Nic(id));
                return c.PostAsync("machineTemplates", template);
            }, Expect: 404),
        ];
    }

    [Fact]
    public async Task Another_tenants_Network_in_a_Machine_request_is_a_404_like_a_missing_one_and_nothing_is_made()
    {
        using var alice = await Tenants.CreateAsync(fixture.Gateway, "alice");
        using var bobClient = await Tenants.CreateAsync(fixture.Gateway, "bob");
        var mark = "alice-net-" + Guid.NewGuid().ToString("N")[..12];
        // MakeBobsOwnAsync makes a VolumeImage of the public volume image.
        await Http.Volumes.VolumeDocs.RegisterPublicVolumeImageAsync(fixture.Postgres, PublicVolumeImage);
        var network = await CimiDocs.Created(alice, "networks", new JsonObject
        {
            ["name"] = mark, ["description"] = mark,
            ["networkTemplate"] = new JsonObject { ["networkConfig"] = new JsonObject { ["subnet"] = "10.66.0.0/24" } },
        });
        var aliceMachine = await CimiDocs.MachineWithoutHostAsync(alice);
        var a = new Alice(mark, new Dictionary<string, string> { ["networks"] = network, ["machines"] = aliceMachine }, new Dictionary<string, JsonObject>(), "no-password-here");
        var bob = new Probe(bobClient, a);
        var b = await MakeBobsOwnAsync(bobClient);
        var counted = new[] { "machines", "machineTemplates" };

        foreach (var @case in MachineNetworkReferenceCases(b))
        {
            var counts = await bob.CountsAsync(counted);
            await bob.SameAsMissing(@case.Name, u => @case.Send(bobClient, u), network, Missing(bobClient, "networks"), expect: @case.Expect);
            Assert.Equal(counts, await bob.CountsAsync(counted));
        }
        Assert.Equal(0, (await bobClient.GetAsync(b.Machine + "/networkInterfaces")).Json["count"]!.GetValue<int>());
        // A's Machine's interfaces are as absent for B as a missing Machine's.
        var missingMachine = Missing(bobClient, "machines");
        await bob.SameAsMissing("GET machines/<A's>/networkInterfaces", u => bobClient.GetAsync(u + "/networkInterfaces"), aliceMachine, missingMachine, expect: 404);
        await bob.SameAsMissing("POST machines/<A's>/networkInterfaces",
            u => bobClient.PostAsync(u + "/networkInterfaces", new JsonObject { ["network"] = new JsonObject { ["href"] = network } }), aliceMachine, missingMachine,
            expect: 404);
        // A's Network kept every address: B's attempts leased nothing.
        var aliceNic = await alice.PostAsync(aliceMachine + "/networkInterfaces", new JsonObject { ["network"] = new JsonObject { ["href"] = network } });
        Assert.Equal(202, aliceNic.Code);
        await alice.WaitForJobAsync(aliceNic.JobUri());
        var address = (await alice.GetAsync(aliceNic.Header("Location")! + "/addresses")).Json["machineNetworkInterfaceAddresses"]![0]!["address"].Str("href");
        Assert.Equal("10.66.0.2", (await alice.GetAsync(address)).Json.Str("ip"));
    }
}
