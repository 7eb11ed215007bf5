namespace CimiGrains.Meters;

/// <summary>The Meter type: created from a MeterCreate; <c>start</c> and <c>stop</c> answer the Meter (no Job).</summary>
public static class MeterRegistration
{
    /// <summary>The segment of a Meter's samples sub-collection (<c>meters/{id}/samples</c>).</summary>
    public const string SamplesSegment = "samples";

    /// <summary>The segment of a resource's meters sub-collection (<c>machines/{id}/meters</c>).</summary>
    public const string MetersSegment = "meters";

    public const string Started = "STARTED";
    public const string Stopped = "STOPPED";

    public static string SamplesOf(string meterId) => $"{meterId}/{SamplesSegment}";

    public static string MetersOf(string resourceId) => $"{resourceId}/{MetersSegment}";

    /// <summary>The ResourceMetadata text that says which aspects each resource type offers, and in which units.</summary>
    public static string AspectsDescription() => string.Join("; ", MeterAspect.All.Select(a =>
        $"{a.Uri} ({a.Units}; {string.Join(", ", a.ResourceTypes)}): {a.Description}"));

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("Meter", "meters"),
        Record = typeof(Meter),
        Grain = typeof(IMeterGrain),
        CollectionArray = "meters",
        EntryPointAttribute = "meters",
        // The POST reads a MeterCreate, and start/stop are Actions: Gateway/Meters/MeterApi.
        Routing = CimiRouting.CustomCreate,
        ElementOrder =
        [
            .. CimiTypeRegistration.CommonElements, "targetResource", "aspect", "units", "sampleInterval", "timeScope", "intervalDuration",
            "isContinuous", "samples", "minValue", "maxValue", "stopTime", "expiresTime", "operations",
        ],
        // targetResource and aspect are immutable once created; the grain keeps the stored ones on an edit.
        ProviderAttributes = ["samples", "minValue", "maxValue", "state", "alarmRaised"],
        Documents =
        [
            new(typeof(MeterCreate), "MeterCreate", [.. CimiTypeRegistration.CommonElements, "meterTemplate"]),
            new(typeof(MeterSample), "Sample", [.. CimiTypeRegistration.CommonElements, "sample"]),
        ],
        Capabilities =
        [
            new("MeterTemplateByValue", "true", "A MeterCreate may carry its MeterTemplate by value."),
            new("MeterConfigByValue", "true", "A MeterTemplate may carry its MeterConfiguration by value."),
            new("MeterAspects", string.Join(",", MeterAspect.All.Select(a => a.Uri)), AspectsDescription()),
            new("MeterSamplesAggregation", "min,max,average,sum,count",
                "CimiGrains extension. GET …/samples?$aggregate=PT1M (an xs:duration; or $aggregate=true for the Meter's intervalDuration) answers " +
                "one Sample per interval whose value is the average and whose attributes min, max, average, sum and count summarize it, computed in " +
                "PostgreSQL. $filter=timestamp>=…/timestamp<… narrows the time range; $first/$last page."),
            new("MeterAlarms", "true",
                "CimiGrains extension. A MeterConfiguration's alarmThreshold (a number in the Meter's units) raises an alarm Event when a sample " +
                "exceeds it, and another when a sample is at or below alarmClearThreshold (default: the threshold). alarmRaised says which holds now."),
            new("MeterDeletedWithTarget", "true", "Deleting a resource deletes its Meters."),
        ],
        Actions =
        [
            new("start", "Start sampling.", OutputMessage: "Meter"),
            new("stop", "Stop sampling; samples taken are kept.", OutputMessage: "Meter"),
        ],
        Constraints =
        [
            new("aspect", AspectsDescription()) { Values = [.. MeterAspect.All.Select(a => a.Uri)] },
            MeterConfigurationRegistration.SampleInterval,
            MeterConfigurationRegistration.TimeScope,
            new("state", "CimiGrains extension: STARTED or STOPPED.") { Values = [Started, Stopped] },
        ],
    };
}
