namespace CimiGrains.Meters;

/// <summary>The MeterConfiguration type: a plain stored resource.</summary>
public static class MeterConfigurationRegistration
{
    /// <summary>The hosts sample every this many seconds at most (<c>Meters:SamplingPeriodSeconds</c> of the agents); a
    /// Meter asking for a shorter interval is refused.</summary>
    public const int MaximumSampleInterval = 86_400;

    public static readonly CimiAttributeConstraint SampleInterval = new("sampleInterval",
        "Seconds between samples: at least the hosts' sampling period (1 s unless the deployment sets more), at most a day.")
    { Low = 1, High = MaximumSampleInterval };

    public static readonly CimiAttributeConstraint TimeScope = new("timeScope",
        "Point: each sample is one reading. Interval: samples are read aggregated over intervalDuration.") { Values = ["Point", "Interval"] };

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("MeterConfiguration", "meterConfigs"),
        Record = typeof(MeterConfiguration),
        Grain = typeof(IMeterConfigurationGrain),
        CollectionArray = "meterConfigurations",
        EntryPointAttribute = "meterConfigs",
        Routing = CimiRouting.Plain,
        // DSP8009 types associatedTo as an expRef (an href), while DSP0263 gives it as resource type names:
        // CimiGrains keeps the names and writes them as an extension element, so the XML stays valid.
        ElementOrder =
        [
            .. CimiTypeRegistration.CommonElements, "aspect", "units", "sampleInterval", "timeScope", "intervalDuration",
            "isContinuous", "operations",
        ],
        Constraints =
        [
            new("aspect", MeterRegistration.AspectsDescription()) { Values = [.. MeterAspect.All.Select(a => a.Uri)] },
            new("associatedTo", "CIMI type names of the resources the configuration applies to; each must offer the aspect.")
            { Values = [.. MeterAspect.All.SelectMany(a => a.ResourceTypes).Distinct()] },
            SampleInterval,
            TimeScope,
            new("intervalDuration", "An xs:duration of at least the sampleInterval (PT1M): the aggregation interval of Interval samples."),
            new("alarmThreshold", "CimiGrains extension: a number in the aspect's units; a sample above it raises an alarm Event."),
            new("alarmClearThreshold", "CimiGrains extension: a number at or below alarmThreshold; a sample at or below it clears the alarm."),
        ],
    };
}
