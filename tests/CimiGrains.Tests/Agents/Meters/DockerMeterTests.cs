extern alias agents;
using System.Globalization;
using System.Text.Json.Nodes;
using agents::CimiGrains.Agents.Docker;
using CimiGrains.Tests.Http.Meters;
using static CimiGrains.Tests.Agents.MachineWorkloads;

namespace CimiGrains.Tests.Agents.Meters;

/// <summary>
/// Meters measured on a real Docker host: two Machines made from a template naming a CPU MeterTemplate
/// (with an alarm) and a memory one; a busy loop in one of them drives its CPU Meter up and raises the
/// alarm while the idle one's stays low, memory the workload holds shows in its memory Meter, and
/// ending the loop clears the alarm.
/// </summary>
[Collection(DockerAgentCollection.Name)]
public sealed class DockerMeterTests(DockerAgentFixture fixture)
{
    [Fact]
    public async Task A_busy_containers_CPU_Meter_rises_and_raises_its_alarm_an_idle_ones_stays_low_and_memory_follows()
    {
        await fixture.EnsureAgentAsync();
        var (client, template) = await fixture.Cloud.NewTenantAsync(cpu: 1, memoryKiB: 128 * 1024);
        using var _ = client;
        template["meterTemplates"] = new JsonArray(
            MeterDocs.Template(MeterDocs.Configuration(MeterDocs.Cpu, alarmThreshold: "50", clear: "20")),
            MeterDocs.Template(MeterDocs.Configuration(MeterDocs.Memory)));
        var (busy, busyKey) = await CreateAsync(client, template);
        var (idle, _) = await CreateAsync(client, template);
        await WaitStateAsync(client, busy, "STARTED");
        await WaitStateAsync(client, idle, "STARTED");
        var busyMeters = await MetersOfAsync(client, busy);
        var idleMeters = await MetersOfAsync(client, idle);

        var since = DateTimeOffset.UtcNow;
        await DockerCli.RunAsync("exec", "-d", ContainerNaming.For(busyKey), "sh", "-c", "echo $$ > /tmp/busy.pid; while :; do :; done");

        var busyCpu = await Eventually.Until(() => AverageSinceAsync(client, busyMeters[MeterDocs.Cpu], since), v => v > 50,
            "the busy Machine's CPU Meter to average above 50 %", TimeSpan.FromSeconds(60));
        await Eventually.Until(async () => (await client.GetAsync(busyMeters[MeterDocs.Cpu])).Json, m => m["alarmRaised"]?.GetValue<bool>() == true,
            "the busy Machine's CPU alarm to be raised", TimeSpan.FromSeconds(30));
        // At least five seconds of the idle Machine's samples while the other one is busy.
        var idleCpu = await Eventually.Until(async () => (await CountSinceAsync(client, idleMeters[MeterDocs.Cpu], since),
                await AverageSinceAsync(client, idleMeters[MeterDocs.Cpu], since)), c => c.Item1 >= 5,
            "five samples of the idle Machine's CPU Meter", TimeSpan.FromSeconds(60)).ContinueWith(t => t.Result.Item2);
        Assert.True(idleCpu < 10, $"the idle Machine's CPU averaged {idleCpu} % while the busy one's was {busyCpu} %");
        Assert.False((await client.GetAsync(idleMeters[MeterDocs.Cpu])).Json["alarmRaised"]!.GetValue<bool>());

        // Memory: dd's 24 MiB buffer, filled and held while dd waits on a pipe no one reads, shows in the memory Meter.
        var before = await MeterDocs.LatestAsync(client, busyMeters[MeterDocs.Memory]);
        await DockerCli.RunAsync("exec", "-d", ContainerNaming.For(busyKey), "sh", "-c", "dd if=/dev/zero bs=24M count=1 | sleep 600");
        await Eventually.Until(() => MeterDocs.LatestAsync(client, busyMeters[MeterDocs.Memory]), m => m > before + 16_000_000,
            $"the busy Machine's memory Meter to rise 16 MB above {before} bytes", TimeSpan.FromSeconds(60));

        // Ending the loop clears the alarm.
        await DockerCli.RunAsync("exec", ContainerNaming.For(busyKey), "sh", "-c", "kill $(cat /tmp/busy.pid)");
        await Eventually.Until(async () => (await client.GetAsync(busyMeters[MeterDocs.Cpu])).Json, m => m["alarmRaised"]?.GetValue<bool>() == false,
            "the busy Machine's CPU alarm to clear after its loop ended", TimeSpan.FromSeconds(60));

        await DeleteAsync(client, busy);
        await DeleteAsync(client, idle);
        Assert.Equal(404, (await client.GetAsync(busyMeters[MeterDocs.Cpu])).Code);
    }

    /// <summary>The Machine's Meters by aspect.</summary>
    private static async Task<Dictionary<string, string>> MetersOfAsync(CimiClient client, string machine)
    {
        var listed = (await client.GetAsync(machine + "/meters")).Json;
        return listed["meters"]!.AsArray().ToDictionary(m => m!["aspect"]!.GetValue<string>(), m => m!["id"]!.GetValue<string>());
    }

    private static async Task<double> AverageSinceAsync(CimiClient client, string meter, DateTimeOffset since)
    {
        var samples = await MeterDocs.HourlySinceAsync(client, meter, since);
        return samples.Count == 0 ? double.NaN : samples.Average(s => double.Parse(s!["sample"]!["average"]!.GetValue<string>(), CultureInfo.InvariantCulture));
    }

    private static async Task<int> CountSinceAsync(CimiClient client, string meter, DateTimeOffset since)
    {
        var filter = Uri.EscapeDataString($"timestamp>='{since.ToString("O", CultureInfo.InvariantCulture)}'");
        return (await client.GetAsync($"{meter}/samples?$filter={filter}&$first=1&$last=1")).Json["count"]!.GetValue<int>();
    }
}
