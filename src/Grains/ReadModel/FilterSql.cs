using System.Text;
using CimiGrains.ReadModel.Filter;
using Npgsql;
using NpgsqlTypes;

namespace CimiGrains.Grains.ReadModel;

/// <summary>
/// Translates a parsed <c>$filter</c> / <c>$orderby</c> into SQL over <c>cimi_resource.doc</c>.
/// Every literal and every property key becomes a parameter; attribute names appear in the SQL text
/// only as jsonb keys, and only after the tokenizer has restricted them to <c>[A-Za-z0-9_]</c>, which
/// <see cref="Key"/> checks again — no input reaches the SQL text unchecked.
/// </summary>
/// <remarks>
/// Comparisons are typed by the literal: a number compares only with JSON numbers (as numeric), a
/// boolean only with JSON booleans, a string only with JSON strings, a date with JSON strings that
/// are dates (as timestamptz). A resource whose attribute is absent or of another type never matches,
/// for <c>!=</c> too. <c>created</c> and <c>name</c> use the row's own indexed columns, which hold the
/// same values; so do <c>state</c> (string), <c>cpu</c> and <c>memory</c> (numbers), through the
/// generated columns of schema 006.
/// </remarks>
public sealed class FilterSql
{
    private readonly List<NpgsqlParameter> _parameters;
    private readonly int _offset;

    /// <param name="offset">How many positional parameters (<c>$1</c>…) the surrounding statement uses first.</param>
    public FilterSql(int offset)
    {
        _offset = offset;
        _parameters = [];
    }

    public IReadOnlyList<NpgsqlParameter> Parameters => _parameters;

    /// <summary>
    /// True while every comparison <see cref="Where"/> has emitted reads only the typed columns
    /// (<c>doc_state</c>, <c>doc_cpu</c>, <c>doc_memory</c>), so the same condition also applies to
    /// <c>cimi_resource_facet_count</c>, which holds exact counts per combination of them.
    /// </summary>
    public bool UsesOnlyTypedColumns { get; private set; } = true;

    public string Where(FilterNode node) => node switch
    {
        LogicalNode l => $"({Where(l.Left)} {(l.Operator == LogicalOperator.And ? "AND" : "OR")} {Where(l.Right)})",
        ComparisonNode c => Comparison(c),
        _ => throw new ArgumentException($"Unknown filter node {node.GetType().Name}."),
    };

    /// <summary>ORDER BY terms, with (created, id) appended so pages are stable.</summary>
    public string OrderBy(IReadOnlyList<OrderTerm> terms)
    {
        var sql = new StringBuilder();
        foreach (var term in terms)
        {
            var expression = term.Attribute switch
            {
                { IsProperty: true } p => $"doc->'properties'->{Parameter(p.PropertyKey!, NpgsqlDbType.Text)}",
                { Segments: ["created"] } => "created",
                { Segments: ["name"] } => "name",
                // jsonb's own order: numbers numerically, strings by collation, false before true.
                var a => Json(a),
            };
            sql.Append(expression).Append(term.Descending ? " DESC" : " ASC").Append(" NULLS LAST, ");
        }
        return sql.Append("created ASC, id ASC").ToString();
    }

    private string Comparison(ComparisonNode node)
    {
        var op = ComparisonNode.Symbol(node.Operator) switch { "!=" => "<>", var s => s };
        var attribute = node.Attribute;
        var value = node.Value;
        if (TypedColumn(attribute, value.Kind) is { } column)
            return $"({column} {op} {Parameter(value.Value, value.Kind == FilterValueKind.Number ? NpgsqlDbType.Numeric : NpgsqlDbType.Text)})";
        UsesOnlyTypedColumns = false;
        if (attribute.IsProperty)
        {
            var key = Parameter(attribute.PropertyKey!, NpgsqlDbType.Text);
            return $"(doc->'properties'->>{key} {op} {Parameter(value.Value, NpgsqlDbType.Text)})";
        }
        var json = Json(attribute);
        var text = Text(attribute);
        return value.Kind switch
        {
            FilterValueKind.DateTime when attribute.Segments is ["created"] =>
                $"(created {op} {Parameter(value.Value, NpgsqlDbType.TimestampTz)})",
            FilterValueKind.DateTime =>
                $"(CASE WHEN jsonb_typeof({json}) = 'string' THEN cimi_try_timestamptz({text}) END {op} {Parameter(value.Value, NpgsqlDbType.TimestampTz)})",
            FilterValueKind.Number =>
                $"(CASE WHEN jsonb_typeof({json}) = 'number' THEN ({json})::numeric END {op} {Parameter(value.Value, NpgsqlDbType.Numeric)})",
            FilterValueKind.Boolean =>
                $"(CASE WHEN jsonb_typeof({json}) = 'boolean' THEN ({json})::boolean END {op} {Parameter(value.Value, NpgsqlDbType.Boolean)})",
            _ when attribute.Segments is ["name"] =>
                $"(name {op} {Parameter(value.Value, NpgsqlDbType.Text)})",
            // The text comparison comes first and bare, so an expression index on (doc->>'attr') can serve it.
            _ => $"({text} {op} {Parameter(value.Value, NpgsqlDbType.Text)} AND jsonb_typeof({json}) = 'string')",
        };
    }

    /// <summary>
    /// The generated column (schema 006) that holds exactly the typed expression this class would
    /// otherwise emit for the attribute — the value when the JSON type matches the literal's, else
    /// NULL — so the comparison means the same and can be answered from an index.
    /// </summary>
    private static string? TypedColumn(AttributePath attribute, FilterValueKind kind) => (attribute.Segments, kind) switch
    {
        (["state"], FilterValueKind.String) => "doc_state",
        (["cpu"], FilterValueKind.Number) => "doc_cpu",
        (["memory"], FilterValueKind.Number) => "doc_memory",
        _ => null,
    };

    private string Parameter(object value, NpgsqlDbType type)
    {
        if (value is DateTimeOffset dto) value = dto.ToUniversalTime();
        _parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = type });
        return "$" + (_offset + _parameters.Count);
    }

    /// <summary><c>doc->'a'->'b'</c>: the attribute as jsonb.</summary>
    private static string Json(AttributePath attribute) =>
        "doc" + string.Concat(attribute.Segments.Select(s => $"->'{Key(s)}'"));

    /// <summary><c>doc->'a'->>'b'</c>: the attribute as text.</summary>
    private static string Text(AttributePath attribute) =>
        "doc" + string.Concat(attribute.Segments.SkipLast(1).Select(s => $"->'{Key(s)}'")) + $"->>'{Key(attribute.Segments[^1])}'";

    private static string Key(string segment) =>
        segment.Length is > 0 and <= 128 && (char.IsAsciiLetter(segment[0]) || segment[0] == '_') && segment.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? segment
            : throw new ArgumentException($"'{segment}' is not an attribute name.");
}
