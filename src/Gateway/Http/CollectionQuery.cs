using CimiGrains.ReadModel;
using CimiGrains.ReadModel.Filter;

namespace CimiGrains.Gateway.Http;

/// <summary>
/// The query parameters of a collection read: <c>$filter</c> (parsed; several are and-ed),
/// <c>$orderby</c>, and <c>$first</c>/<c>$last</c>, 1-based and inclusive. A page never holds more
/// than <see cref="MaxPage"/> items (CIMI lets a provider truncate, and the consumer sees it by
/// comparing <c>count</c> with the items returned). <c>$select</c> and <c>$expand</c> shape the
/// rendered documents and are applied by <see cref="Resources.CimiProjection"/>.
/// </summary>
public sealed record CollectionQuery(int First, int Last, FilterNode? Filter, IReadOnlyList<OrderTerm> OrderBy)
{
    public const int MaxPage = 1000;

    public ResourceQuery ToResourceQuery() => new(Filter, OrderBy, First, Last);

    /// <summary>A filter or sort key on an attribute the type does not have is a typo, not an empty result: 400 naming it.</summary>
    public CollectionQuery CheckedAgainst(CimiDescriptor descriptor)
    {
        if (Filter is not null) CheckAttributes(Filter, descriptor);
        foreach (var term in OrderBy) CheckAttribute(term.Attribute, descriptor, "$orderby");
        return this;
    }

    private static void CheckAttributes(FilterNode node, CimiDescriptor descriptor)
    {
        switch (node)
        {
            case LogicalNode l:
                CheckAttributes(l.Left, descriptor);
                CheckAttributes(l.Right, descriptor);
                break;
            case ComparisonNode c:
                CheckAttribute(c.Attribute, descriptor, "$filter");
                break;
        }
    }

    private static void CheckAttribute(AttributePath path, CimiDescriptor descriptor, string parameter)
    {
        if (path.IsProperty) return;
        var attribute = descriptor.Find(path.Segments[0])
            ?? throw CimiRequestException.BadRequest(
                $"{parameter} names '{path.Segments[0]}', which is not an attribute of {descriptor.TypeName} (it has {string.Join(", ", descriptor.Attributes.Select(a => a.Name))}).");
        if (path.Segments.Count > 1 && attribute.Kind is not (CimiValueKind.Ref or CimiValueKind.Struct or CimiValueKind.Map))
            throw CimiRequestException.BadRequest($"{parameter} names '{path}', but '{attribute.Name}' of {descriptor.TypeName} has no nested attributes.");
    }

    public static CollectionQuery Parse(HttpRequest request)
    {
        var first = Integer(request, "$first") ?? 1;
        if (first < 1) throw CimiRequestException.BadRequest($"$first must be 1 or more (items are numbered from 1), not {first}.");
        var last = Integer(request, "$last") ?? first + MaxPage - 1;
        if (last < first - 1) last = first - 1;
        try
        {
            var filter = FilterParser.ParseAll(request.Query["$filter"].Where(f => f is not null)!);
            var orderBy = request.Query["$orderby"] is { Count: > 0 } o
                ? [.. o.Where(t => !string.IsNullOrWhiteSpace(t)).SelectMany(t => FilterParser.ParseOrderBy(t!))]
                : Array.Empty<OrderTerm>();
            return new CollectionQuery(first, (int)Math.Min(last, (long)first + MaxPage - 1), filter, orderBy);
        }
        catch (FilterSyntaxException e)
        {
            throw CimiRequestException.BadRequest(e.Message);
        }
    }

    private static int? Integer(HttpRequest request, string name)
    {
        var values = request.Query[name];
        if (values.Count == 0) return null;
        if (values.Count > 1) throw CimiRequestException.BadRequest($"{name} may be given only once.");
        return int.TryParse(values[0], System.Globalization.NumberStyles.None, null, out var n)
            ? n
            : throw CimiRequestException.BadRequest($"{name} must be a whole number, not '{values[0]}'.");
    }
}
