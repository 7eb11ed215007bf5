using CimiGrains.Tests.Http;
using CimiGrains.Tests.Http.Events;

namespace CimiGrains.Tests.Cluster;

/// <summary>
/// The live stream across the loss of a silo (issue 15): a consumer on the surviving silo sees every event
/// once and in order, those made before the kill through the dead silo as well as those after; a consumer
/// whose stream was on the dead silo resumes on the other with Last-Event-ID and gets exactly what it missed.
/// </summary>
public sealed class EventStreamFailoverTests
{
    private const string TenantLog = "eventLogs/tenant";

    [Fact]
    public async Task Killing_the_silo_that_produced_and_streamed_events_loses_nothing_and_repeats_nothing()
    {
        var postgres = await TestDatabase.CreateAsync("evfail");
        await using var a = await GatewayProcess.StartAsync(postgres);
        await using var b = await GatewayProcess.StartAsync(postgres);
        using var viaA = await Tenants.CreateAsync(a, "evf");
        using var viaB = b.Client(viaA.User, Tenants.Password);

        await using var onA = await EventStreamClient.OpenAsync(viaA, TenantLog, Tenants.Password);
        await using var onB = await EventStreamClient.OpenAsync(viaB, TenantLog, Tenants.Password);
        for (var i = 0; i < 3; i++) await CimiDocs.Created(viaA, "machineConfigs", CimiDocs.Configuration(i + 1));
        await onA.UntilAsync(r => r.Count >= 3, "the three creates made through silo A, on A's stream");
        await onB.UntilAsync(r => r.Count >= 3, "the three creates made through silo A, on B's stream");
        Assert.Equal(onA.Received.Select(e => e.Id), onB.Received.Select(e => e.Id));

        await a.KillAsync();
        for (var i = 0; i < 3; i++)
        {
            // The first request after the kill may meet the dead silo's grains before it is declared dead (503).
            await Eventually.Until(() => viaB.PostAsync("machineConfigs", CimiDocs.Configuration(i + 10)), r => r.Code == 201,
                "a create through the survivor", TimeSpan.FromSeconds(60));
        }
        var all = await onB.UntilAsync(r => r.Count >= 6, "the three creates after the kill, on B's stream");
        Assert.Equal(6, all.Count);
        Assert.Equal(all.Select(e => e.Id).Distinct().Order(), all.Select(e => e.Id));
        Assert.All(all, e => Assert.Equal("model", e.Type));

        // The consumer of A's stream comes back through B from the last event it saw.
        await using var resumed = await EventStreamClient.OpenAsync(viaB, TenantLog, Tenants.Password, lastEventId: onA.Received[^1].Id);
        var missed = await resumed.UntilAsync(r => r.Count >= 3, "the three events A's consumer missed");
        Assert.Equal(all.Skip(3).Select(e => e.Id), missed.Select(e => e.Id));
        // Until the dead silo is declared dead, a new grain may still be placed on it: a 503 to retry, as a client does.
        await Eventually.Until(() => viaB.PostAsync("machineConfigs", CimiDocs.Configuration(20)), r => r.Code == 201,
            "a live create through the survivor", TimeSpan.FromSeconds(60));
        var live = await resumed.UntilAsync(r => r.Count >= 4, "the next live event");
        Assert.True(live[3].Id > all[^1].Id);
    }
}
