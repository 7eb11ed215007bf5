using System.Text.Json.Nodes;
using CimiGrains.Tests.Http;

namespace CimiGrains.Tests.Cluster;

/// <summary>What was acknowledged survives SIGKILL of the process that acknowledged it.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task Acknowledged_resources_survive_kill_9_and_a_restart()
    {
        var postgres = await TestDatabase.CreateAsync("durable");
        var ports = FreePorts.Take(3);
        var acknowledged = new List<string>();
        string machine, job;
        await using (var first = await GatewayProcess.StartAsync(postgres, ports: ports))
        {
            using var client = await Tenants.CreateAsync(first);
            var credential = await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate());
            var template = await CimiDocs.TemplateAsync(client, credential);
            acknowledged.Add(credential);
            acknowledged.Add(template);
            for (var i = 0; i < 10; i++) acknowledged.Add(await CimiDocs.Created(client, "machineImages", CimiDocs.Image($"docker:i{i}")));
            var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "survivor"));
            Assert.Equal(202, created.Code);
            machine = created.Header("Location")!;
            job = created.Header("CIMI-Job-URI")!;
            acknowledged.Add(machine);
            acknowledged.Add(job);
            var renamed = await client.PutAsync(template, new JsonObject
            {
                ["name"] = "renamed-before-crash",
                ["machineConfig"] = new JsonObject { ["href"] = (await client.GetAsync(template)).Json["machineConfig"].Str("href") },
                ["machineImage"] = new JsonObject { ["href"] = acknowledged[2] },
            });
            Assert.Equal(200, renamed.Code);

            await first.KillAsync();

            // Restarted as an operator would: same configuration, same ports.
            await using var second = await GatewayProcess.StartAsync(postgres, ports: ports);
            using var again = second.Client(client.User, Tenants.Password);
            foreach (var id in acknowledged)
            {
                var relative = id[client.Cimi.Length..];
                var read = await Eventually.Until(() => again.GetAsync(relative), r => r.Code != 503, $"{relative} to be served");
                Assert.True(read.Code == 200, $"{relative} after the crash: {read}");
            }
            Assert.Equal("renamed-before-crash", (await again.GetAsync(acknowledged[1][client.Cimi.Length..])).Json.Str("name"));
            var images = (await again.GetAsync("machineImages")).Json;
            Assert.Equal(11, images["count"]!.GetValue<int>()); // ten here and one made by TemplateAsync

            // The Machine whose creation was accepted before the crash is still there with its Job.
            Assert.Equal(200, (await again.GetAsync(job[client.Cimi.Length..])).Code);
        }
    }
}
