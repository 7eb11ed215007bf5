namespace CimiGrains.Gateway.Http;

/// <summary>
/// The query parameters of a collection read. <c>$first</c>/<c>$last</c> are 1-based and inclusive;
/// a page never holds more than <see cref="MaxPage"/> items (CIMI lets a provider truncate, and the
/// consumer sees it by comparing <c>count</c> with the items returned).
/// </summary>
public sealed record CollectionQuery(int First, int Last)
{
    public const int MaxPage = 1000;

    public static CollectionQuery Parse(HttpRequest request)
    {
        var first = Integer(request, "$first") ?? 1;
        if (first < 1) throw CimiRequestException.BadRequest($"$first must be 1 or more (items are numbered from 1), not {first}.");
        var last = Integer(request, "$last") ?? first + MaxPage - 1;
        if (last < first - 1) last = first - 1;
        return new CollectionQuery(first, (int)Math.Min(last, (long)first + MaxPage - 1));
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
