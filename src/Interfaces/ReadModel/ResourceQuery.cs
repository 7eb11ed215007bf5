using CimiGrains.ReadModel.Filter;

namespace CimiGrains.ReadModel;

/// <summary>
/// A collection query as the read model runs it: an optional parsed filter, sort keys, and the
/// 1-based inclusive item range (<c>$first</c>/<c>$last</c>).
/// </summary>
public sealed record ResourceQuery(FilterNode? Filter, IReadOnlyList<OrderTerm> OrderBy, int First, int Last)
{
    public static ResourceQuery Page(int first, int last) => new(null, [], first, last);
}
