using System.Globalization;
using CimiGrains.Events;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.Events;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Meters;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Meters;

/// <summary>
/// A Meter: its definition (target, aspect, interval, thresholds), whether it runs, its extremes and its
/// alarm. The samples are not here: they are rows of the samples table shared by every Meter of the same
/// target and aspect (docs/METERS.md). The alarm flag is part of the durable resource and is written
/// before its Event is journaled, so a restart never raises the same alarm twice.
/// </summary>
public sealed partial class MeterGrain(
    [PersistentState("meter", "cimi")] IPersistentState<ResourceState<Meter>> state,
    ResourceReadModel readModel,
    IOptions<MeterSampleOptions> options,
    IEventJournal journal,
    SampleStore samples,
    ILogger<MeterGrain> logger)
    : CimiResourceGrain<Meter>(state, readModel, MeterRegistration.Type.Kind), IMeterGrain
{
    /// <summary>Extremes are written at most this often (they are measurements, not changes anyone made).</summary>
    private static readonly TimeSpan ExtremesWritePeriod = TimeSpan.FromSeconds(30);

    private DateTimeOffset _extremesWritten;
    private bool _extremesDirty;

    public async Task<Meter> CreateFrom(MeterCreate create)
    {
        var template = create.MeterTemplate ?? throw CimiException.Invalid("MeterCreate needs a 'meterTemplate' (by reference or by value).");
        var resolved = await References.ResolveOrValueAsync<IMeterTemplateGrain, MeterTemplate>(GrainFactory, TenantId,
            MeterTemplateRegistration.Type.Kind, "meterTemplate", template,
            (r, o) => r with { TargetResource = o.TargetResource ?? r.TargetResource, MeterConfig = o.MeterConfig ?? r.MeterConfig });
        if (resolved!.TargetResource is null) throw CimiException.Invalid("A MeterCreate's template needs a 'targetResource'.");
        return await CreateFromTemplate(create, resolved.TargetResource, resolved);
    }

    public Task<Meter> CreateFor(ResourceRef target, string targetType, MeterTemplate template) =>
        CreateFromTemplate(new MeterCreate { Name = template.Name, Description = template.Description }, target, template);

    private async Task<Meter> CreateFromTemplate(CimiResource naming, ResourceRef target, MeterTemplate template)
    {
        if (template.MeterConfig is null) throw CimiException.Invalid("A MeterTemplate needs a 'meterConfig' (by reference or by value).");
        var config = await References.ResolveOrValueAsync<IMeterConfigurationGrain, MeterConfiguration>(GrainFactory, TenantId,
            MeterConfigurationRegistration.Type.Kind, "meterConfig", template.MeterConfig, MeterChecks.Merge);
        config = MeterConfigurationGrain.Check(config!, options.Value.SamplingPeriodSeconds, partial: false);
        return await Create(new Meter
        {
            Name = naming.Name ?? template.Name,
            Description = naming.Description ?? template.Description,
            Properties = naming.Properties ?? template.Properties,
            TargetResource = target,
            Aspect = config.Aspect,
            Units = config.Units,
            SampleInterval = config.SampleInterval,
            TimeScope = config.TimeScope,
            IntervalDuration = config.IntervalDuration,
            IsContinuous = config.IsContinuous,
            AlarmThreshold = config.AlarmThreshold,
            AlarmClearThreshold = config.AlarmClearThreshold,
        });
    }

    public override async Task<Meter> Create(Meter document)
    {
        var created = await base.Create(document);
        await Metered(created).Add(ResourceId, MeterAspect.ForUri(created.Aspect)!.Name);
        return created;
    }

    protected override async Task<Meter> ValidateAsync(Meter m)
    {
        CommonValidation.Check(m);
        var current = State.State.Resource;
        // targetResource and aspect are immutable: an edit keeps the stored ones.
        if (current is not null) m = m with { TargetResource = current.TargetResource, Aspect = current.Aspect, Units = current.Units };
        var aspect = MeterChecks.Check("A Meter", m.Aspect, m.Units, m.SampleInterval, m.TimeScope, m.IntervalDuration,
            m.AlarmThreshold, m.AlarmClearThreshold, options.Value.SamplingPeriodSeconds, partial: false)!;
        if (m.TargetResource is null) throw CimiException.Invalid("A Meter needs a 'targetResource'.");
        if (current is null) await MeterTargets.ResolveAsync(ReadModel, TenantId, m.TargetResource.Href, aspect.Uri);
        if (m.StopTime is { } stop && m.ExpiresTime is { } expires && expires < stop)
            throw CimiException.Invalid($"'expiresTime' ({expires:O}) is before 'stopTime' ({stop:O}): the time range is reversed.");
        if (current is null && m.StopTime is { } stopAt && stopAt <= Now)
            throw CimiException.Invalid($"'stopTime' ({stopAt:O}) is not in the future.");
        return m with
        {
            Units = aspect.Units,
            SampleInterval = m.SampleInterval ?? options.Value.SamplingPeriodSeconds,
            TimeScope = m.TimeScope ?? "Point",
            IsContinuous = m.IsContinuous ?? true,
            Samples = null, MinValue = current?.MinValue, MaxValue = current?.MaxValue,
            State = current?.State ?? MeterRegistration.Started,
            AlarmRaised = current?.AlarmRaised ?? false,
            StoppedPeriods = current?.StoppedPeriods,
        };
    }

    /// <summary>The most stopped periods a Meter remembers; older ones go first (their samples are likely past retention).</summary>
    private const int MaxStoppedPeriods = 100;

    /// <summary><paramref name="meter"/> moving to <paramref name="next"/> at <paramref name="at"/>: a stop opens a period, a start closes it.</summary>
    private static Meter WithState(Meter meter, string next, DateTimeOffset at)
    {
        var periods = meter.StoppedPeriods ?? [];
        if (next == MeterRegistration.Stopped && meter.State != MeterRegistration.Stopped)
            periods = [.. periods.TakeLast(MaxStoppedPeriods - 1), new MeterStoppedPeriod(at, null)];
        else if (next == MeterRegistration.Started && periods.Count > 0 && periods[^1].To is null)
            periods = [.. periods.SkipLast(1), periods[^1] with { To = at }];
        return meter with { State = next, Updated = at, StoppedPeriods = periods.Count == 0 ? null : periods };
    }

    protected override string? StateOf(Meter resource) => resource.State;

    protected override Meter Public(Meter resource) => resource with
    {
        Samples = new ResourceRef(MeterRegistration.SamplesOf(ResourceId)),
        Operations =
        [
            new Operation("edit", ResourceId), new Operation("delete", ResourceId),
            new Operation(CimiUris.Action(resource.State == MeterRegistration.Started ? "stop" : "start"), ResourceId),
        ],
    };

    public Task<Meter> Start() => SetState(MeterRegistration.Started);

    public Task<Meter> Stop() => SetState(MeterRegistration.Stopped);

    private async Task<Meter> SetState(string next)
    {
        var current = Existing();
        if (current.State != next) await CommitAsync(WithState(current, next, Now));
        return Public(State.State.Resource!);
    }

    public async Task Observe(double value, DateTimeOffset at)
    {
        if (State.State.Resource is not { } meter || meter.State != MeterRegistration.Started) return;
        if (meter.StopTime is { } stop && at >= stop)
        {
            await CommitAsync(WithState(meter, MeterRegistration.Stopped, stop) with { Updated = Now });
            return;
        }
        var min = MeterChecks.Number(meter.MinValue, "minValue");
        var max = MeterChecks.Number(meter.MaxValue, "maxValue");
        if (min is null || value < min || max is null || value > max)
        {
            meter = meter with { MinValue = Text(Math.Min(min ?? value, value)), MaxValue = Text(Math.Max(max ?? value, value)) };
            State.State.Resource = meter;
            _extremesDirty = true;
        }
        var raise = MeterChecks.Number(meter.AlarmThreshold, "alarmThreshold");
        if (raise is not null)
        {
            var clear = MeterChecks.Number(meter.AlarmClearThreshold, "alarmClearThreshold") ?? raise;
            var raised = meter.AlarmRaised == true;
            if (!raised && value > raise) await AlarmAsync(meter, true, value, raise.Value, at);
            else if (raised && value <= clear) await AlarmAsync(meter, false, value, clear.Value, at);
        }
        if (_extremesDirty && Now - _extremesWritten >= ExtremesWritePeriod)
        {
            // Extremes are the host's measurements, not a change of the Meter: stored without a domain event.
            await State.WriteStateAsync();
            await Project();
            _extremesWritten = Now;
            _extremesDirty = false;
        }
    }

    private async Task AlarmAsync(Meter meter, bool raised, double value, double threshold, DateTimeOffset at)
    {
        await CommitAsync(meter with { AlarmRaised = raised });
        _extremesDirty = false;
        _extremesWritten = Now;
        var aspect = MeterAspect.ForUri(meter.Aspect)!;
        var detail = raised
            ? $"{aspect.Name} of {meter.TargetResource!.Href} is {Text(value)} {aspect.Units}, above the threshold {Text(threshold)} (Meter {ResourceId})."
            : $"{aspect.Name} of {meter.TargetResource!.Href} is {Text(value)} {aspect.Units}, back at or below {Text(threshold)} (Meter {ResourceId}).";
        try
        {
            await journal.AppendAsync(new JournalEvent(TenantId, CimiEventType.Alarm, MeterRegistration.Type.TypeName, ResourceId, meter.Name,
                raised ? CimiEventOutcome.Warning : CimiEventOutcome.Success, raised ? CimiEventSeverity.High : CimiEventSeverity.Low, at, null,
                new Dictionary<string, string?> { ["code"] = raised ? "threshold.exceeded" : "threshold.cleared", ["detail"] = detail }));
        }
        catch (Exception e)
        {
            // The alarm's state is durable and shown on the Meter; only its Event is missing from the log.
            LogJournalFailed(ResourceId, e.Message);
        }
    }

    public override async Task Delete()
    {
        var meter = Existing();
        await RemoveAsync();
        await Metered(meter).Remove(ResourceId);
    }

    public async Task DeleteWithTarget()
    {
        if (State.State.Resource is not null) await RemoveAsync();
    }

    private IMeteredResourceGrain Metered(Meter meter) =>
        GrainFactory.GetGrain<IMeteredResourceGrain>(MeteredResources.Key(TenantId, meter.TargetResource!.Href));

    private static string Text(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meter {MeterId}: the alarm Event could not be journaled: {Reason}")]
    private partial void LogJournalFailed(string meterId, string reason);
}
