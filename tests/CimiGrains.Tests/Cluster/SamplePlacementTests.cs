using System.Globalization;
using CimiGrains.Agents.Protocol;
using CimiGrains.Tests.Http;
using CimiGrains.Tests.Http.Meters;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// An agent reports samples for its own host's workloads only: another host's agent sending samples keyed
/// to a Machine placed elsewhere (or to no Machine at all) writes nothing into that Machine's series.
/// </summary>
public sealed class SamplePlacementTests
{
    private const string AgentSecret = "sample-placement-secret";

    [Fact]
    public async Task Samples_for_a_Machine_count_only_from_the_host_it_is_placed_on()
    {
        var postgres = await TestDatabase.CreateAsync("samples");
        var ports = FreePorts.Take(4);
        await using var gateway = await GatewayProcess.StartAsync(postgres, new Dictionary<string, string>
        {
            ["CIMI_AGENT_PORT"] = ports[3].ToString(),
            ["CIMI_AGENT_SECRET"] = AgentSecret,
        }, ports);
        await using var owner = new ScriptedAgent(ports[3], "owner-host", AgentSecret);
        await owner.ConnectAsync();
        using var client = await Tenants.CreateAsync(gateway);
        var template = await CimiDocs.TemplateAsync(client, await CimiDocs.Created(client, "credentials", CimiDocs.CredentialCreate()));
        var created = await client.PostAsync("machines", CimiDocs.MachineCreate(template, "measured"));
        Assert.Equal(202, created.Code);
        var machine = created.Header("Location")![client.Cimi.Length..];
        var command = await owner.NextCommandAsync(TimeSpan.FromSeconds(30));
        await owner.SucceedAsync(command, ObservedState.Running);
        await client.WaitForJobAsync(created.Header("CIMI-Job-URI")!, TimeSpan.FromSeconds(30));
        var meter = await MeterDocs.MeterAsync(client, machine, MeterDocs.Cpu);

        // Another host of the cluster claims the Machine, and invents one.
        await using var other = new ScriptedAgent(ports[3], "other-host", AgentSecret);
        await other.ConnectAsync();
        for (var i = 0; i < 4; i++)
        {
            await other.SendAsync(Samples((command.MachineKey, 99), (command.MachineKey[..command.MachineKey.IndexOf('/')] + "/no-such-machine", 98)));
            await owner.SendAsync(Samples((command.MachineKey, 11)));
            await Task.Delay(1100);
        }

        var samples = await Eventually.Until(async () => (await client.GetAsync(meter + "/samples")).Json, s => s["count"]!.GetValue<int>() >= 4,
            "the owner's four samples to be stored", TimeSpan.FromSeconds(30));
        var values = samples["samples"]!.AsArray().Select(s => double.Parse(s!["sample"]!["value"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        Assert.True(values.All(v => v == 11), $"the Machine's series holds another host's samples: {string.Join(", ", values)}");
        Assert.Equal(4, values.Count);
    }

    private static AgentMessage Samples(params (string Key, double Cpu)[] readings)
    {
        var batch = new SampleBatch { PeriodSeconds = 1 };
        foreach (var (key, cpu) in readings)
        {
            var sample = new MachineSample { MachineKey = key, UnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
            sample.Values["cpu.utilization"] = cpu;
            batch.Samples.Add(sample);
        }
        return new AgentMessage { Samples = batch };
    }
}
