using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Meters;
using Microsoft.Extensions.Options;

namespace CimiGrains.Grains.Meters;

public sealed class MeterConfigurationGrain(
    [PersistentState("meterConfiguration", "cimi")] IPersistentState<ResourceState<MeterConfiguration>> state,
    ResourceReadModel readModel,
    IOptions<MeterSampleOptions> options)
    : CimiResourceGrain<MeterConfiguration>(state, readModel, MeterConfigurationRegistration.Type.Kind), IMeterConfigurationGrain
{
    protected override Task<MeterConfiguration> ValidateAsync(MeterConfiguration c) => Task.FromResult(Check(c, options.Value.SamplingPeriodSeconds, partial: false));

    /// <summary>Checks a configuration; by-value overrides inside a template may be partial (no aspect).</summary>
    public static MeterConfiguration Check(MeterConfiguration c, int samplingPeriod, bool partial)
    {
        CommonValidation.Check(c);
        var aspect = MeterChecks.Check("A MeterConfiguration", c.Aspect, c.Units, c.SampleInterval, c.TimeScope, c.IntervalDuration,
            c.AlarmThreshold, c.AlarmClearThreshold, samplingPeriod, partial);
        MeterChecks.CheckAssociatedTo(c.AssociatedTo, aspect);
        return aspect is null || c.Units is not null ? c : c with { Units = aspect.Units };
    }
}
