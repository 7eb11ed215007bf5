using System.Globalization;
using CimiGrains.ReadModel.Filter;

namespace CimiGrains.Gateway.Meters;

/// <summary>
/// A read of a Meter's samples collection (docs/METERS.md): the time range from <c>$filter</c> (only
/// comparisons of <c>timestamp</c>, joined by <c>and</c>), the page from <c>$first</c>/<c>$last</c>,
/// and the interval the samples are aggregated over from <c>$aggregate</c> (an xs:duration, or
/// <c>true</c> for the Meter's intervalDuration); without it, one sample per sampleInterval.
/// </summary>
public sealed record SampleQuery(DateTimeOffset? From, DateTimeOffset? To, int First, int Last, string? Aggregate)
{
    public const string AggregateParameter = "$aggregate";

    public static SampleQuery Parse(HttpRequest request)
    {
        var page = CollectionQuery.Parse(request);
        if (page.OrderBy.Count > 0) throw CimiRequestException.BadRequest("Samples are in time order; $orderby is not supported on them.");
        DateTimeOffset? from = null, to = null;
        if (page.Filter is { } filter) Bounds(filter, ref from, ref to);
        if (from is not null && to is not null && from >= to)
            throw CimiRequestException.BadRequest($"The time range is reversed or empty: from {from:O} to {to:O}.");
        var aggregate = request.Query[AggregateParameter].ToString();
        return new SampleQuery(from, to, page.First, page.Last, aggregate.Length == 0 ? null : aggregate);
    }

    /// <summary>Narrows [from, to) by each comparison: a sample at or after <c>from</c> and before <c>to</c>.</summary>
    private static void Bounds(FilterNode node, ref DateTimeOffset? from, ref DateTimeOffset? to)
    {
        switch (node)
        {
            case LogicalNode { Operator: LogicalOperator.And } and:
                Bounds(and.Left, ref from, ref to);
                Bounds(and.Right, ref from, ref to);
                return;
            case ComparisonNode c when c.Attribute.Segments is ["timestamp"]:
                var at = Time(c.Value);
                switch (c.Operator)
                {
                    case ComparisonOperator.GreaterOrEqual: from = Max(from, at); return;
                    case ComparisonOperator.Greater: from = Max(from, at.AddTicks(1)); return;
                    case ComparisonOperator.Less: to = Min(to, at); return;
                    case ComparisonOperator.LessOrEqual: to = Min(to, at.AddTicks(1)); return;
                }
                break;
        }
        throw CimiRequestException.BadRequest(
            $"A samples $filter compares 'timestamp' with <, <=, > or >= and joins comparisons with 'and' (not '{node}').");
    }

    private static DateTimeOffset Time(FilterValue value) => value.Value switch
    {
        DateTimeOffset at => at,
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) => at,
        _ => throw CimiRequestException.BadRequest($"'timestamp' is compared with a dateTime such as 2026-12-02T10:00:00Z, not {value}."),
    };

    private static DateTimeOffset Max(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;

    private static DateTimeOffset Min(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;
}
