using System.Globalization;
using System.Xml;
using CimiGrains.Meters;

namespace CimiGrains.Grains.Meters;

/// <summary>The rules a MeterConfiguration's attributes obey, wherever they appear (a configuration, a template's, a Meter).</summary>
internal static class MeterChecks
{
    public static readonly string[] TimeScopes = ["Point", "Interval"];

    /// <summary>
    /// Checks the measuring attributes and returns the aspect they name (required unless
    /// <paramref name="partial"/>, as in by-value overrides). <paramref name="samplingPeriod"/> is the
    /// hosts' sampling period in seconds: a shorter interval could only repeat readings.
    /// </summary>
    public static MeterAspect? Check(string what, string? aspectUri, string? units, int? sampleInterval, string? timeScope, string? intervalDuration,
        string? alarmThreshold, string? alarmClearThreshold, int samplingPeriod, bool partial)
    {
        MeterAspect? aspect = null;
        if (aspectUri is null)
        {
            if (!partial) throw CimiException.Invalid($"{what} needs an 'aspect' URI, one of {string.Join(", ", MeterAspect.All.Select(a => a.Uri))}.");
        }
        else
        {
            aspect = MeterAspect.ForUri(aspectUri)
                ?? throw CimiException.Invalid($"'{aspectUri}' is not an aspect CimiGrains measures; use one of {string.Join(", ", MeterAspect.All.Select(a => a.Uri))}.");
        }
        if (units is not null && aspect is not null && units != aspect.Units)
            throw CimiException.Invalid($"The aspect {aspect.Uri} is measured in '{aspect.Units}', not '{units}'.");
        if (sampleInterval is { } interval && (interval < samplingPeriod || interval > MeterConfigurationRegistration.MaximumSampleInterval))
            throw CimiException.Invalid(
                $"'sampleInterval' is in seconds and must be from {samplingPeriod} (the hosts' sampling period) to {MeterConfigurationRegistration.MaximumSampleInterval}, not {interval}.");
        if (timeScope is not null && !TimeScopes.Contains(timeScope))
            throw CimiException.Invalid($"'timeScope' must be Point or Interval, not '{timeScope}'.");
        if (intervalDuration is not null)
        {
            var duration = Duration(intervalDuration, "intervalDuration");
            if (duration.TotalSeconds < Math.Max(samplingPeriod, sampleInterval ?? 0))
                throw CimiException.Invalid($"'intervalDuration' ({intervalDuration}) must be at least the sampleInterval and the hosts' sampling period.");
        }
        var raise = Number(alarmThreshold, "alarmThreshold");
        var clear = Number(alarmClearThreshold, "alarmClearThreshold");
        if (clear is not null && raise is null) throw CimiException.Invalid("An 'alarmClearThreshold' needs an 'alarmThreshold'.");
        if (clear > raise) throw CimiException.Invalid($"'alarmClearThreshold' ({clear}) must not be above 'alarmThreshold' ({raise}).");
        return aspect;
    }

    /// <summary>An xs:duration of at least one second and at most a year, or a 400 naming the attribute.</summary>
    public static TimeSpan Duration(string text, string attribute)
    {
        TimeSpan duration;
        try
        {
            duration = XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            throw CimiException.Invalid($"'{attribute}' must be an xs:duration such as PT1M, not '{text}'.");
        }
        if (duration < TimeSpan.FromSeconds(1) || duration > TimeSpan.FromDays(366))
            throw CimiException.Invalid($"'{attribute}' must be from 1 second to a year, not '{text}'.");
        return duration;
    }

    public static double? Number(string? text, string attribute)
    {
        if (text is null) return null;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw CimiException.Invalid($"'{attribute}' must be a number, not '{text}'.");
    }

    /// <summary>The resource types in <paramref name="associatedTo"/> must be known and offer the aspect.</summary>
    public static void CheckAssociatedTo(IReadOnlyList<string>? associatedTo, MeterAspect? aspect)
    {
        foreach (var type in associatedTo ?? [])
        {
            if (CimiTypeRegistry.ForTypeName(type) is null) throw CimiException.Invalid($"'associatedTo' names '{type}', which is not a CIMI resource type.");
            if (aspect is not null && !aspect.ResourceTypes.Contains(type))
                throw CimiException.Invalid($"A {type} does not offer the aspect {aspect.Uri} (offered by {string.Join(", ", aspect.ResourceTypes)}).");
        }
    }

    /// <summary>Attributes given alongside an href override the referenced configuration's.</summary>
    public static MeterConfiguration Merge(MeterConfiguration referenced, MeterConfiguration o) => referenced with
    {
        AssociatedTo = o.AssociatedTo ?? referenced.AssociatedTo,
        Aspect = o.Aspect ?? referenced.Aspect,
        Units = o.Units ?? referenced.Units,
        SampleInterval = o.SampleInterval ?? referenced.SampleInterval,
        TimeScope = o.TimeScope ?? referenced.TimeScope,
        IntervalDuration = o.IntervalDuration ?? referenced.IntervalDuration,
        IsContinuous = o.IsContinuous ?? referenced.IsContinuous,
        AlarmThreshold = o.AlarmThreshold ?? referenced.AlarmThreshold,
        AlarmClearThreshold = o.AlarmClearThreshold ?? referenced.AlarmClearThreshold,
    };
}
