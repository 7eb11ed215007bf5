using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.ReadModel.Filter;

namespace CimiGrains.Gateway.Http;

/// <summary>
/// Runs a parsed <see cref="CollectionQuery"/> over documents held in memory, for collections that
/// are small fixed catalogs rather than read-model rows (the ResourceMetadata collection). Its
/// semantics are those of the SQL translation (<c>Grains/ReadModel/FilterSql</c>), so a query means
/// the same on every collection; the documents must be in their stored form (relative ids).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>A comparison is typed by its literal: a number matches only JSON numbers, a boolean only
/// JSON booleans (<c>false &lt; true</c>), a string only JSON strings, a date only JSON strings that
/// parse as dates. An absent attribute, or one of another type, never matches — for <c>!=</c> too
/// (SQL's NULL semantics).</item>
/// <item>Strings compare by code point (the UTF-8 byte order of the database's C.UTF-8 collation).
/// Date strings are parsed by .NET's invariant parser (no offset means UTC, as the database session
/// has it); PostgreSQL's special words such as <c>today</c> are not dates here.</item>
/// <item><c>property['key']</c> compares the property's value as text.</item>
/// <item><c>$orderby</c> follows jsonb's order (null &lt; strings &lt; numbers &lt; booleans &lt;
/// arrays &lt; objects; arrays and objects by their JSON text, a simplification), absent values last
/// in both directions, then <c>created</c> and <c>id</c> ascending so pages are stable.</item>
/// </list>
/// </remarks>
public static class InMemoryQuery
{
    /// <summary>The documents that pass the filter, sorted and sliced to <c>$first</c>..<c>$last</c>, and how many pass in all.</summary>
    public static (int Count, IReadOnlyList<JsonObject> Page) Run(IEnumerable<JsonObject> documents, CollectionQuery query)
    {
        var passing = query.Filter is { } filter ? documents.Where(d => Matches(filter, d)).ToList() : documents.ToList();
        var page = passing.Order(new DocumentOrder(query.OrderBy))
            .Skip(query.First - 1)
            .Take(Math.Max(0, query.Last - query.First + 1))
            .ToList();
        return (passing.Count, page);
    }

    public static bool Matches(FilterNode node, JsonObject document) => node switch
    {
        LogicalNode { Operator: LogicalOperator.And } l => Matches(l.Left, document) && Matches(l.Right, document),
        LogicalNode l => Matches(l.Left, document) || Matches(l.Right, document),
        ComparisonNode c => Holds(c.Operator, Compare(Resolve(document, c.Attribute), c.Value, c.Attribute.IsProperty)),
        _ => throw new ArgumentException($"Unknown filter node {node.GetType().Name}."),
    };

    /// <summary>The attribute's value, or null when any segment is absent (or not an object).</summary>
    public static JsonNode? Resolve(JsonObject document, AttributePath attribute)
    {
        JsonNode? node = document;
        foreach (var segment in attribute.Segments) node = node is JsonObject o ? o[segment] : null;
        return attribute.PropertyKey is { } key ? (node as JsonObject)?[key] : node;
    }

    /// <summary>The sign of <c>value − literal</c>, or null when they are not comparable (no match).</summary>
    private static int? Compare(JsonNode? node, FilterValue literal, bool asText)
    {
        if (node is not JsonValue value) return asText && node is not null ? Utf8Compare(node.ToJsonString(), (string)literal.Value) : null;
        var kind = value.GetValueKind();
        if (asText)
            return kind == JsonValueKind.Null ? null : Utf8Compare(kind == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString(), (string)literal.Value);
        return literal.Kind switch
        {
            FilterValueKind.Number when kind == JsonValueKind.Number => Number(value).CompareTo((decimal)literal.Value),
            FilterValueKind.Boolean when kind is JsonValueKind.True or JsonValueKind.False => (kind == JsonValueKind.True).CompareTo((bool)literal.Value),
            FilterValueKind.String when kind == JsonValueKind.String => Utf8Compare(value.GetValue<string>(), (string)literal.Value),
            FilterValueKind.DateTime when kind == JsonValueKind.String && Date(value.GetValue<string>()) is { } date =>
                date.CompareTo((DateTimeOffset)literal.Value),
            _ => null,
        };
    }

    private static bool Holds(ComparisonOperator op, int? sign) => sign is { } s && op switch
    {
        ComparisonOperator.Equal => s == 0,
        ComparisonOperator.NotEqual => s != 0,
        ComparisonOperator.Less => s < 0,
        ComparisonOperator.LessOrEqual => s <= 0,
        ComparisonOperator.Greater => s > 0,
        _ => s >= 0,
    };

    private static decimal Number(JsonValue value) =>
        decimal.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static DateTimeOffset? Date(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ? date : null;

    /// <summary>Code point order, as PostgreSQL's C.UTF-8 collation compares text.</summary>
    private static int Utf8Compare(string a, string b) =>
        Math.Sign(Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b)));

    private sealed class DocumentOrder(IReadOnlyList<OrderTerm> terms) : IComparer<JsonObject>
    {
        private static readonly AttributePath Created = new(["created"]);
        private static readonly AttributePath Id = new(["id"]);

        public int Compare(JsonObject? x, JsonObject? y)
        {
            foreach (var term in terms)
            {
                var (a, b) = (Resolve(x!, term.Attribute), Resolve(y!, term.Attribute));
                // SQL NULL (an absent attribute) sorts last whichever the direction: NULLS LAST.
                if (a is null || b is null)
                {
                    if (a is null != b is null) return a is null ? 1 : -1;
                    continue;
                }
                var order = term.Attribute.Segments is ["created"] && !term.Attribute.IsProperty ? Dates(a, b) : Jsonb(a, b);
                if (order != 0) return term.Descending ? -order : order;
            }
            var (cx, cy) = (Resolve(x!, Created), Resolve(y!, Created));
            var created = cx is null || cy is null ? (cx is null).CompareTo(cy is null) : Dates(cx, cy);
            return created != 0 ? created : Utf8Compare(Resolve(x!, Id)?.ToJsonString() ?? "", Resolve(y!, Id)?.ToJsonString() ?? "");
        }

        private static int Dates(JsonNode a, JsonNode b) =>
            (a is JsonValue va && va.GetValueKind() == JsonValueKind.String ? Date(va.GetValue<string>()) : null) is { } da
            && (b is JsonValue vb && vb.GetValueKind() == JsonValueKind.String ? Date(vb.GetValue<string>()) : null) is { } db
                ? da.CompareTo(db)
                : Jsonb(a, b);

        private static int Jsonb(JsonNode a, JsonNode b)
        {
            var (ra, rb) = (Rank(a), Rank(b));
            if (ra != rb) return ra.CompareTo(rb);
            return ra switch
            {
                1 => Utf8Compare(a.GetValue<string>(), b.GetValue<string>()),
                2 => Number(a.AsValue()).CompareTo(Number(b.AsValue())),
                3 => a.GetValue<bool>().CompareTo(b.GetValue<bool>()),
                4 or 5 => Utf8Compare(a.ToJsonString(), b.ToJsonString()),
                _ => 0,
            };
        }

        /// <summary>jsonb's order of types: null &lt; string &lt; number &lt; boolean &lt; array &lt; object.</summary>
        private static int Rank(JsonNode node) => node switch
        {
            JsonObject => 5,
            JsonArray => 4,
            _ => node.GetValueKind() switch
            {
                JsonValueKind.String => 1,
                JsonValueKind.Number => 2,
                JsonValueKind.True or JsonValueKind.False => 3,
                _ => 0,
            },
        };
    }
}
