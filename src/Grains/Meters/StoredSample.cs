namespace CimiGrains.Grains.Meters;

/// <summary>One reading as the samples table keeps it: the resource (its relative id) and aspect name it belongs to.</summary>
public readonly record struct StoredSample(string TenantId, string ResourceId, string Aspect, DateTimeOffset At, double Value);

/// <summary>One interval of a series, summarized by PostgreSQL; <see cref="Start"/> is the interval's start.</summary>
public readonly record struct SampleInterval(DateTimeOffset Start, double Min, double Max, double Average, double Sum, long Count);

/// <summary>A page of a series' intervals, and how many intervals the whole time range holds.</summary>
public sealed record SamplePage(IReadOnlyList<SampleInterval> Intervals, long Total);
