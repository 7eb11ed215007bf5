namespace CimiGrains.ReadModel.Filter;

/// <summary>
/// A recursive-descent parser for CIMI <c>$filter</c> (DSP0263 4.1.6.1, as StratusLab and Sirocco
/// implement it), extended with nested attributes (<c>a/b</c>):
/// <code>
/// Filter  ::= AndExpr ( 'or' AndExpr )*
/// AndExpr ::= Comp ( 'and' Comp )*
/// Comp    ::= '(' Filter ')' | Attr Op Value | Value Op Attr | Prop Op String | String Op Prop
/// Attr    ::= identifier ( '/' identifier )*
/// Prop    ::= 'property' '[' String ']'
/// Value   ::= integer | date | string | 'true' | 'false'
/// Op      ::= '=' | '!=' | '&lt;' | '&lt;=' | '&gt;' | '&gt;='
/// </code>
/// Both connectives are left-associative. Several <c>$filter</c> parameters are combined with <c>and</c>.
/// </summary>
public sealed class FilterParser
{
    /// <summary>Bounds recursion, so a hostile expression of nested parentheses cannot exhaust the stack.</summary>
    public const int MaxDepth = 32;

    private const string ValueDescription = "a value (a number, a quoted string, true, false or a date)";

    private readonly IReadOnlyList<FilterToken> _tokens;
    private readonly string _parameter;
    private int _next;
    private int _depth;

    private FilterParser(IReadOnlyList<FilterToken> tokens, string parameter)
    {
        _tokens = tokens;
        _parameter = parameter;
    }

    public static FilterNode Parse(string text, string parameter = "$filter")
    {
        var parser = new FilterParser(FilterTokenizer.Tokenize(text, parameter), parameter);
        if (parser.Peek.Kind == FilterTokenKind.End)
            throw new FilterSyntaxException(parameter, 1, "a comparison such as state='STARTED'", "an empty expression");
        var node = parser.ParseOr();
        parser.Expect(FilterTokenKind.End, "'and', 'or' or the end of the expression");
        return node;
    }

    /// <summary>All given expressions must hold (repeated <c>$filter</c> parameters).</summary>
    public static FilterNode? ParseAll(IEnumerable<string> texts, string parameter = "$filter")
    {
        FilterNode? result = null;
        foreach (var text in texts)
        {
            var node = Parse(text, parameter);
            result = result is null ? node : new LogicalNode(LogicalOperator.And, result, node);
        }
        return result;
    }

    private FilterToken Peek => _tokens[_next];

    private FilterToken Advance() => _tokens[_next++];

    private FilterToken Expect(FilterTokenKind kind, string expected) =>
        Peek.Kind == kind ? Advance() : throw Error(expected);

    private FilterSyntaxException Error(string expected) => new(_parameter, Peek.Position, expected, Peek.Describe());

    private FilterNode ParseOr()
    {
        var left = ParseAnd();
        while (Peek.Kind == FilterTokenKind.Or)
        {
            Advance();
            left = new LogicalNode(LogicalOperator.Or, left, ParseAnd());
        }
        return left;
    }

    private FilterNode ParseAnd()
    {
        var left = ParseComparison();
        while (Peek.Kind == FilterTokenKind.And)
        {
            Advance();
            left = new LogicalNode(LogicalOperator.And, left, ParseComparison());
        }
        return left;
    }

    private FilterNode ParseComparison()
    {
        if (Peek.Kind == FilterTokenKind.LeftParen)
        {
            var open = Advance();
            if (++_depth > MaxDepth)
                throw new FilterSyntaxException(_parameter, open.Position, $"at most {MaxDepth} nested parentheses", "more");
            var inner = ParseOr();
            Expect(FilterTokenKind.RightParen, "')' or 'and'/'or'");
            _depth--;
            return inner;
        }
        if (IsValueStart(Peek.Kind))
        {
            var value = ParseValue();
            var op = ParseOperator();
            var attribute = ParseAttribute();
            if (attribute.IsProperty && value.Kind != FilterValueKind.String)
                throw new FilterSyntaxException(_parameter, _tokens[_next - 1].Position, "a quoted string compared with a property", value.ToString());
            return new ComparisonNode(attribute, Mirror(op), value);
        }
        if (Peek.Kind == FilterTokenKind.Identifier)
        {
            var attribute = ParseAttribute();
            var op = ParseOperator();
            if (attribute.IsProperty)
            {
                var token = Expect(FilterTokenKind.String, "a quoted string (property values are strings)");
                return new ComparisonNode(attribute, op, new FilterValue(FilterValueKind.String, token.Value!));
            }
            if (!IsValueStart(Peek.Kind)) throw Error(ValueDescription);
            return new ComparisonNode(attribute, op, ParseValue());
        }
        throw Error("an attribute name, a value or '('");
    }

    private static bool IsValueStart(FilterTokenKind kind) =>
        kind is FilterTokenKind.Integer or FilterTokenKind.String or FilterTokenKind.Date or FilterTokenKind.True or FilterTokenKind.False;

    private FilterValue ParseValue()
    {
        var token = Advance();
        return token.Kind switch
        {
            FilterTokenKind.Integer => new FilterValue(FilterValueKind.Number, token.Value!),
            FilterTokenKind.String => new FilterValue(FilterValueKind.String, token.Value!),
            FilterTokenKind.Date => new FilterValue(FilterValueKind.DateTime, token.Value!),
            FilterTokenKind.True => new FilterValue(FilterValueKind.Boolean, true),
            FilterTokenKind.False => new FilterValue(FilterValueKind.Boolean, false),
            _ => throw new FilterSyntaxException(_parameter, token.Position, ValueDescription, token.Describe()),
        };
    }

    private ComparisonOperator ParseOperator()
    {
        var token = Expect(FilterTokenKind.Operator, "a comparison operator (=, !=, <, <=, >, >=)");
        return token.Text switch
        {
            "=" => ComparisonOperator.Equal,
            "!=" => ComparisonOperator.NotEqual,
            "<" => ComparisonOperator.Less,
            "<=" => ComparisonOperator.LessOrEqual,
            ">" => ComparisonOperator.Greater,
            _ => ComparisonOperator.GreaterOrEqual,
        };
    }

    /// <summary><c>identifier ('/' identifier)*</c> or <c>property['key']</c>; shared with <c>$orderby</c>.</summary>
    internal AttributePath ParseAttribute()
    {
        var first = Expect(FilterTokenKind.Identifier, "an attribute name");
        if (first.Text == "property" && Peek.Kind == FilterTokenKind.LeftBracket)
        {
            Advance();
            var key = Expect(FilterTokenKind.String, "a quoted property key, as in property['owner']");
            Expect(FilterTokenKind.RightBracket, "']'");
            return AttributePath.Property((string)key.Value!);
        }
        var segments = new List<string> { first.Text };
        while (Peek.Kind == FilterTokenKind.Slash)
        {
            Advance();
            segments.Add(Expect(FilterTokenKind.Identifier, "an attribute name after '/'").Text);
        }
        return new AttributePath(segments);
    }

    private static ComparisonOperator Mirror(ComparisonOperator op) => op switch
    {
        ComparisonOperator.Less => ComparisonOperator.Greater,
        ComparisonOperator.LessOrEqual => ComparisonOperator.GreaterOrEqual,
        ComparisonOperator.Greater => ComparisonOperator.Less,
        ComparisonOperator.GreaterOrEqual => ComparisonOperator.LessOrEqual,
        _ => op,
    };

    /// <summary>
    /// <c>$orderby</c>: <c>attr[:asc|:desc](,attr[:asc|:desc])*</c>, attributes as in <c>$filter</c>.
    /// </summary>
    public static IReadOnlyList<OrderTerm> ParseOrderBy(string text)
    {
        const string parameter = "$orderby";
        var parser = new FilterParser(FilterTokenizer.Tokenize(text, parameter), parameter);
        var terms = new List<OrderTerm>();
        do
        {
            if (terms.Count > 0) parser.Advance();
            var attribute = parser.ParseAttribute();
            var descending = false;
            if (parser.Peek.Kind == FilterTokenKind.Colon)
            {
                parser.Advance();
                var direction = parser.Expect(FilterTokenKind.Identifier, "'asc' or 'desc'");
                descending = direction.Text.ToLowerInvariant() switch
                {
                    "asc" => false,
                    "desc" => true,
                    _ => throw new FilterSyntaxException(parameter, direction.Position, "'asc' or 'desc'", direction.Describe()),
                };
            }
            terms.Add(new OrderTerm(attribute, descending));
            if (terms.Count > 16) throw new FilterSyntaxException(parameter, parser.Peek.Position, "at most 16 sort keys", "more");
        }
        while (parser.Peek.Kind == FilterTokenKind.Comma);
        parser.Expect(FilterTokenKind.End, "',' or ':asc'/':desc' or the end of the expression");
        return terms;
    }
}
