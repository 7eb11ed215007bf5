namespace CimiGrains.Meters;

/// <summary>
/// What to measure and how: the aspect, units, sampling interval and scope. <see cref="AssociatedTo"/>
/// lists the resource types (CIMI type names) it may be applied to. The alarm thresholds are
/// CimiGrains extensions (docs/METERS.md).
/// </summary>
[GenerateSerializer, Immutable, Alias("cimi.MeterConfiguration")]
public sealed record MeterConfiguration : CimiResource
{
    [Id(0)] public IReadOnlyList<string>? AssociatedTo { get; init; }
    [Id(1)] public string? Aspect { get; init; }
    [Id(2)] public string? Units { get; init; }
    [Id(3)] public int? SampleInterval { get; init; }
    [Id(4)] public string? TimeScope { get; init; }
    [Id(5)] public string? IntervalDuration { get; init; }
    [Id(6)] public bool? IsContinuous { get; init; }
    [Id(7)] public string? AlarmThreshold { get; init; }
    [Id(8)] public string? AlarmClearThreshold { get; init; }
}
