using CimiGrains.Events;
using CimiGrains.Grains.Meters;
using CimiGrains.Machines;
using CimiGrains.Meters;

namespace CimiGrains.Tests.Grains.Meters;

/// <summary>
/// A Meter's alarm against a recording event journal: a crossing raises one Alarm Event, staying above raises
/// no other (also after the Meter's activation is gone, since the flag is durable), and coming back to the
/// clear threshold raises the clearing Event; the samples table keeps, partitions and drops the readings.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class MeterAlarmTests(GrainClusterFixture fixture)
{
    private async Task<string> MachineAsync(string tenant)
    {
        await fixture.Grains.GetGrain<IMachineConfigurationGrain>(GrainKeys.Of(tenant, "c")).Create(new MachineConfiguration { Cpu = 1, Memory = 262144 });
        await fixture.Grains.GetGrain<IMachineImageGrain>(GrainKeys.Of(tenant, "i")).Create(new MachineImage { ImageLocation = "docker:cimigrains/demo:latest" });
        await fixture.Grains.GetGrain<IMachineGrain>(GrainKeys.Of(tenant, "m")).Create(new MachineCreate
        {
            MachineTemplate = new MachineTemplate
            {
                MachineConfig = new MachineConfiguration { Href = "machineConfigs/c" }, MachineImage = new MachineImage { Href = "machineImages/i" },
            },
        }, "j");
        return "machines/m";
    }

    [Fact]
    public async Task A_crossing_raises_one_alarm_Event_a_restart_does_not_raise_it_again_and_clearing_raises_another()
    {
        var tenant = GrainClusterFixture.NewTenant();
        var machine = await MachineAsync(tenant);
        var meter = fixture.Grains.GetGrain<IMeterGrain>(GrainKeys.Of(tenant, "cpu"));
        await meter.CreateFrom(new MeterCreate
        {
            MeterTemplate = new MeterTemplate
            {
                TargetResource = new ResourceRef(machine),
                MeterConfig = new MeterConfiguration { Aspect = MeterAspect.CpuUtilization.Uri, AlarmThreshold = "50", AlarmClearThreshold = "20" },
            },
        });
        // Values reach the Meter as the ingest sends them: the latest per aspect, through the resource's index.
        var metered = fixture.Grains.GetGrain<IMeteredResourceGrain>(MeteredResources.Key(tenant, machine));
        Task Observe(double value) => metered.Observe(new Dictionary<string, double> { ["cpu.utilization"] = value, ["memory.used"] = 1e6 }, DateTimeOffset.UtcNow);

        await Observe(10);
        Assert.Empty(RecordedJournalEvents.Of(tenant, "meters/cpu"));
        await Observe(70);
        await Observe(90);
        var raised = Assert.Single(RecordedJournalEvents.Of(tenant, "meters/cpu"));
        Assert.Equal((CimiEventType.Alarm, "threshold.exceeded", CimiEventSeverity.High), (raised.Type, raised.Content["code"], raised.Severity));
        Assert.Contains("above the threshold 50", raised.Content["detail"]);
        Assert.True((await meter.Get()).AlarmRaised);

        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await Observe(95);
        Assert.Single(RecordedJournalEvents.Of(tenant, "meters/cpu"));
        await Observe(30);
        Assert.Single(RecordedJournalEvents.Of(tenant, "meters/cpu"));
        await Observe(20);
        var events = RecordedJournalEvents.Of(tenant, "meters/cpu");
        Assert.Equal(["threshold.exceeded", "threshold.cleared"], events.Select(e => e.Content["code"]));
        Assert.False((await meter.Get()).AlarmRaised);

        // A stopped Meter checks nothing.
        await meter.Stop();
        await Observe(99);
        Assert.Equal(2, RecordedJournalEvents.Of(tenant, "meters/cpu").Count);
    }

    [Fact]
    public async Task The_samples_table_aggregates_a_series_and_drops_partitions_past_the_retention()
    {
        var store = new SampleStore(fixture.DataSource);
        var tenant = GrainClusterFixture.NewTenant();
        var old = DateTimeOffset.UtcNow.AddDays(-30);
        var day = TimeSpan.FromDays(1);
        await store.MaintainPartitionsAsync(old, day, TimeSpan.FromHours(48), TimeSpan.FromDays(3650), CancellationToken.None);
        var start = new DateTimeOffset(old.Year, old.Month, old.Day, 1, 0, 0, TimeSpan.Zero);
        await store.WriteAsync([.. Enumerable.Range(0, 120).Select(i => new StoredSample(tenant, "machines/x", "cpu.utilization", start.AddSeconds(i), i))],
            CancellationToken.None);

        var page = await store.QueryAsync(tenant, "machines/x", "cpu.utilization", start, start.AddHours(1), TimeSpan.FromMinutes(1), 0, 10, CancellationToken.None);

        Assert.Equal(2, page.Total);
        Assert.Equal((0.0, 59.0, 29.5, 60L), (page.Intervals[0].Min, page.Intervals[0].Max, page.Intervals[0].Average, page.Intervals[0].Count));
        Assert.Equal(start.AddMinutes(1), page.Intervals[1].Start);

        await store.MaintainPartitionsAsync(DateTimeOffset.UtcNow, day, TimeSpan.FromHours(48), TimeSpan.FromDays(7), CancellationToken.None);
        var after = await store.QueryAsync(tenant, "machines/x", "cpu.utilization", start, start.AddHours(1), TimeSpan.FromMinutes(1), 0, 10, CancellationToken.None);
        Assert.Equal(0, after.Total);
    }

    [Fact]
    public async Task Per_minute_reads_from_the_minute_summaries_equal_reads_from_the_readings_and_a_late_reading_counts()
    {
        var store = new SampleStore(fixture.DataSource);
        var tenant = GrainClusterFixture.NewTenant();
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(-20);
        // Ten minutes of readings 0, 1, 2, … a second apart, in two writes (as two ingest batches), and another series.
        await store.WriteAsync([.. Enumerable.Range(0, 300).Select(i => new StoredSample(tenant, "machines/x", "cpu.utilization", start.AddSeconds(i), i))],
            CancellationToken.None);
        await store.WriteAsync([.. Enumerable.Range(300, 300).Select(i => new StoredSample(tenant, "machines/x", "cpu.utilization", start.AddSeconds(i), i)),
            .. Enumerable.Range(0, 600).Select(i => new StoredSample(tenant, "machines/y", "cpu.utilization", start.AddSeconds(i), 1000))], CancellationToken.None);
        // A range whose ends fall inside minutes: whole minutes come from the summaries, the two partial ones from the readings.
        var (from, to) = (start.AddSeconds(17), start.AddMinutes(9).AddSeconds(41));
        // A stopped period outside the range makes the store read the readings alone: the reference.
        IReadOnlyList<(DateTimeOffset, DateTimeOffset)> elsewhere = [(start.AddDays(-2), start.AddDays(-2).AddSeconds(1))];
        async Task Same(TimeSpan interval)
        {
            var summaries = await store.QueryAsync(tenant, "machines/x", "cpu.utilization", from, to, interval, 0, 100, CancellationToken.None);
            var readings = await store.QueryAsync(tenant, "machines/x", "cpu.utilization", from, to, interval, 0, 100, CancellationToken.None, elsewhere);
            Assert.Equal(readings.Total, summaries.Total);
            Assert.Equal(readings.Intervals.Select(i => (i.Start, i.Min, i.Max, i.Sum, i.Count)), summaries.Intervals.Select(i => (i.Start, i.Min, i.Max, i.Sum, i.Count)));
            Assert.Equal(readings.Intervals.Select(i => Math.Round(i.Average, 9)), summaries.Intervals.Select(i => Math.Round(i.Average, 9)));
        }
        await Same(TimeSpan.FromMinutes(1));
        await Same(TimeSpan.FromMinutes(5));
        var first = (await store.QueryAsync(tenant, "machines/x", "cpu.utilization", from, to, TimeSpan.FromMinutes(1), 0, 1, CancellationToken.None)).Intervals[0];
        Assert.Equal((start, 17.0, 59.0, 43L), (first.Start, first.Min, first.Max, first.Count));

        // A reading that arrives late (the ingest waited out a database outage) lands in its minute.
        await store.WriteAsync([new StoredSample(tenant, "machines/x", "cpu.utilization", start.AddMinutes(3).AddMilliseconds(500), -7)], CancellationToken.None);
        var third = (await store.QueryAsync(tenant, "machines/x", "cpu.utilization", from, to, TimeSpan.FromMinutes(1), 3, 1, CancellationToken.None)).Intervals[0];
        Assert.Equal((start.AddMinutes(3), -7.0, 61L), (third.Start, third.Min, third.Count));
        await Same(TimeSpan.FromMinutes(1));

        // Deleting the series deletes its minutes: nothing is left to read either way.
        await store.DeleteSeriesAsync(tenant, "machines/x", CancellationToken.None);
        Assert.Equal(0, (await store.QueryAsync(tenant, "machines/x", "cpu.utilization", from, to, TimeSpan.FromMinutes(1), 0, 10, CancellationToken.None)).Total);
    }
}
