extern alias agents;
using System.Globalization;
using agents::CimiGrains.Agents.Docker;
using CimiGrains.Tests.Http;
using CimiGrains.Tests.Http.Meters;
using static CimiGrains.Tests.Http.Systems.SystemDocs;

namespace CimiGrains.Tests.Agents.Meters;

/// <summary>
/// A System's Meters aggregate its Machines' (issue 15): a System of two containers on a real Docker host,
/// a CPU Meter on the System; a busy loop in one member shows in the System's series as that member's
/// share, and the System's memory is the members' sum.
/// </summary>
[Collection(DockerAgentCollection.Name)]
public sealed class DockerSystemMeterTests(DockerAgentFixture fixture)
{
    [Fact]
    public async Task A_Systems_CPU_and_memory_Meters_are_the_sums_of_its_Machines()
    {
        await fixture.EnsureAgentAsync();
        var (client, _) = await fixture.Cloud.NewTenantAsync();
        using var _c = client;
        var created = await client.PostAsync("systems", Create(Template("metered", MachineComponent("web", 2, memoryKiB: 128 * 1024,
            image: "docker:" + DockerCli.DemoImage))));
        Assert.True(created.Code == 202, created.ToString());
        var job = await client.WaitForJobAsync(created.JobUri(), TimeSpan.FromSeconds(120));
        Assert.True(job.Str("state") == "SUCCESS", job.ToJsonString());
        var system = created.Header("Location")!;
        var meters = (await client.GetAsync(system)).Json["meters"]!["href"]!.GetValue<string>();
        Assert.EndsWith("/meters", meters);

        var cpu = await SystemMeterAsync(client, system, MeterDocs.Cpu);
        var memory = await SystemMeterAsync(client, system, MeterDocs.Memory);
        Assert.Equal(2, (await client.GetAsync(meters)).Json["count"]!.GetValue<int>());
        var members = (await client.GetAsync(system + "/machines")).Json["systemMachines"]!.AsArray()
            .Select(m => m!["machine"]!["href"]!.GetValue<string>()).ToList();
        Assert.Equal(2, members.Count);

        var since = DateTimeOffset.UtcNow;
        var busy = MachineWorkloads.KeyOf(client, members[0]);
        await DockerCli.RunAsync("exec", "-d", ContainerNaming.For(busy), "sh", "-c", "while :; do :; done");
        var systemCpu = await Eventually.Until(() => AverageSinceAsync(client, cpu, since.AddSeconds(3)), v => v > 50,
            "the System's CPU Meter to average above 50 % while one member spins", TimeSpan.FromSeconds(60));
        Assert.True(systemCpu < 200, $"one busy member on a 1-CPU configuration, the System shows {systemCpu} %");

        // Memory over the same window: the System's average is the sum of the members' averages (the series are
        // the members' own; their Meters, made now, read the window back).
        // At least 10 s of it: the sum per sampling period counts a member's reading in the period its timestamp falls
        // in, and over two or three readings one that jittered into the next period weighs a third of the average.
        var wait = since.AddSeconds(12) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero) await Task.Delay(wait);
        var until = DateTimeOffset.UtcNow.AddSeconds(-1);
        var perMember = 0.0;
        foreach (var member in members)
        {
            var own = await CimiDocs.Created(client, "meters",
                MeterDocs.Create(MeterDocs.Template(MeterDocs.Configuration(MeterDocs.Memory), member)));
            perMember += await AverageSinceAsync(client, own, since, until);
        }
        var whole = await AverageSinceAsync(client, memory, since, until);
        Assert.True(perMember > 0 && Math.Abs(whole - perMember) < 0.25 * perMember, $"System memory {whole} bytes on average, the members' sum {perMember}");

        var deleted = await client.DeleteAsync(system);
        Assert.True(deleted.Code == 202, deleted.ToString());
        await client.WaitForJobAsync(deleted.JobUri(), TimeSpan.FromSeconds(120));
        await Eventually.Until(async () => (await client.GetAsync(cpu)).Code, c => c == 404, "the System's Meter to go with it");
    }

    private static async Task<string> SystemMeterAsync(CimiClient client, string system, string aspect)
    {
        var config = MeterDocs.Configuration(aspect);
        config["associatedTo"] = new System.Text.Json.Nodes.JsonArray("System");
        return await CimiDocs.Created(client, "meters", MeterDocs.Create(MeterDocs.Template(config, system)));
    }

    private static async Task<double> AverageSinceAsync(CimiClient client, string meter, DateTimeOffset since, DateTimeOffset? until = null)
    {
        var samples = await MeterDocs.HourlySinceAsync(client, meter, since, until);
        return samples.Count == 0 ? double.NaN : double.Parse(samples[0]!["sample"]!["average"]!.GetValue<string>(), CultureInfo.InvariantCulture);
    }
}
