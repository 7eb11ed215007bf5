using CimiGrains.Grains.Common;
using CimiGrains.Meters;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Meters;

/// <summary>
/// Alarms of a group's Meter (a System's, a Network's). No host reports a group: its series is its members' sum,
/// computed when read (<see cref="AggregateTargets"/>). So a group Meter with an alarm threshold watches its own
/// series: every sampleInterval it reads the sum of the interval that ended a sampling period and a margin ago
/// (the hosts' batches for it have been written by then) and checks that value as the ingest's Observe does for
/// a Machine. The watch is a grain timer; a reminder (its one-minute floor is Orleans') brings the Meter back
/// after its silo fails or its activation is collected, so an alarm is never left unwatched for long. Members
/// are asked again every <see cref="MembersFresh"/>: a Machine joining the System counts from then on.
/// </summary>
public sealed partial class MeterGrain : IRemindable
{
    private const string WatchReminder = "aggregate-alarm";
    private static readonly TimeSpan WatchReminderPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MembersFresh = TimeSpan.FromSeconds(30);

    /// <summary>How long after an interval ends its samples are taken to be written (beyond one sampling period).</summary>
    private static readonly TimeSpan WriteMargin = TimeSpan.FromSeconds(2);

    private IGrainTimer? _watch;
    private IReadOnlyList<string>? _members;
    private DateTimeOffset _membersRead;
    private DateTimeOffset _lastChecked;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        if (Watched(State.State.Resource)) StartWatch();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (Watched(State.State.Resource)) StartWatch();
        // A reminder left by a Meter deleted (or changed) just before a crash: it goes now.
        else if (await this.GetReminder(reminderName) is { } reminder) await this.UnregisterReminder(reminder);
    }

    protected override Task OnCommittedAsync(ResourceState<Meter> before, DomainEvent domainEvent) => WatchAsync(before);

    /// <summary>A started group Meter with a threshold is watched; any other is not (its reminder goes).</summary>
    private static bool Watched(Meter? meter) =>
        meter is { State: MeterRegistration.Started, AlarmThreshold: not null, TargetResource.Href: { } href } && AggregateTargets.IsAggregate(href);

    /// <param name="before">The state before the commit that asks: a deleted Meter's target is there.</param>
    private async Task WatchAsync(ResourceState<Meter> before)
    {
        if (Watched(State.State.Resource))
        {
            if (await this.GetReminder(WatchReminder) is null) await this.RegisterOrUpdateReminder(WatchReminder, WatchReminderPeriod, WatchReminderPeriod);
            StartWatch();
            return;
        }
        _watch?.Dispose();
        _watch = null;
        // Only a group's Meter ever has the reminder: a Machine's commits cost no reminder-table read.
        var target = State.State.Resource?.TargetResource?.Href ?? before.Resource?.TargetResource?.Href;
        if (target is not null && AggregateTargets.IsAggregate(target) && await this.GetReminder(WatchReminder) is { } reminder)
            await this.UnregisterReminder(reminder);
    }

    private void StartWatch()
    {
        if (_watch is not null) return;
        var every = TimeSpan.FromSeconds(Math.Max(State.State.Resource!.SampleInterval ?? 1, options.Value.SamplingPeriodSeconds));
        _watch = this.RegisterGrainTimer(_ => CheckGroupAsync(), new GrainTimerCreationOptions(every, every) { KeepAlive = true });
    }

    /// <summary>The group's sum over the last interval that is complete, observed once per interval.</summary>
    private async Task CheckGroupAsync()
    {
        if (State.State.Resource is not { } meter || !Watched(meter)) return;
        try
        {
            var interval = TimeSpan.FromSeconds(Math.Max(meter.SampleInterval ?? 1, options.Value.SamplingPeriodSeconds));
            var period = TimeSpan.FromSeconds(options.Value.SamplingPeriodSeconds);
            var settled = Now - period - WriteMargin;
            var end = new DateTimeOffset(settled.UtcTicks - settled.UtcTicks % interval.Ticks, TimeSpan.Zero);
            if (end <= _lastChecked) return;
            if (_members is null || Now - _membersRead > MembersFresh)
            {
                _members = await AggregateTargets.MembersAsync(GrainFactory, TenantId, meter.TargetResource!.Href) ?? [];
                _membersRead = Now;
            }
            _lastChecked = end;
            if (_members.Count == 0) return;
            var page = await samples.QuerySumAsync(TenantId, _members, MeterAspect.ForUri(meter.Aspect)!.Name, end - interval, end, interval, period,
                0, 1, CancellationToken.None);
            if (page.Intervals.Count > 0) await Observe(page.Intervals[0].Average, end);
        }
        catch (Exception e) when (e is not CimiException { Kind: CimiErrorKind.Invalid })
        {
            // The database or a member's grain cannot answer now: the next interval is checked as usual.
            LogGroupCheckFailed(ResourceId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meter {MeterId}: its group's series could not be checked for its alarm: {Reason}")]
    private partial void LogGroupCheckFailed(string meterId, string reason);
}
