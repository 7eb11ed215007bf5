using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CimiGrains.ReadModel.Filter;

/// <summary>
/// Splits a <c>$filter</c> or <c>$orderby</c> expression into tokens. Strings are quoted with <c>'</c>
/// or <c>"</c> and take backslash escapes; a run of digits shaped like a date (<c>2012-05-25</c>,
/// optionally <c>T13:30:15</c>, fraction and zone) is an xs:dateTime; <c>and</c>/<c>or</c> are
/// keywords in any case.
/// </summary>
public static partial class FilterTokenizer
{
    public const int MaxLength = 4096;

    [GeneratedRegex(@"\G\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    public static IReadOnlyList<FilterToken> Tokenize(string text, string parameter = "$filter")
    {
        if (text.Length > MaxLength)
            throw new FilterSyntaxException(parameter, MaxLength + 1, $"an expression of at most {MaxLength} characters", "a longer one");
        // Query text obeys the same rule as stored text: a NUL in a string literal must be a 400 here,
        // not an error from PostgreSQL (which cannot hold one) when the query runs.
        if (CimiText.IndexOfProblem(text) is var bad and >= 0)
            throw new FilterSyntaxException(parameter, bad + 1, "text without control characters, unpaired surrogates or U+FFFE/U+FFFF",
                CimiText.Describe(text, bad));
        var tokens = new List<FilterToken>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var position = i + 1;
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            switch (c)
            {
                case '(': tokens.Add(new(FilterTokenKind.LeftParen, "(", position)); i++; continue;
                case ')': tokens.Add(new(FilterTokenKind.RightParen, ")", position)); i++; continue;
                case '[': tokens.Add(new(FilterTokenKind.LeftBracket, "[", position)); i++; continue;
                case ']': tokens.Add(new(FilterTokenKind.RightBracket, "]", position)); i++; continue;
                case '/': tokens.Add(new(FilterTokenKind.Slash, "/", position)); i++; continue;
                case ',': tokens.Add(new(FilterTokenKind.Comma, ",", position)); i++; continue;
                case ':': tokens.Add(new(FilterTokenKind.Colon, ":", position)); i++; continue;
                case '<' or '>' or '!' or '=':
                    var two = i + 1 < text.Length && text[i + 1] == '=' && c != '=';
                    if (c == '!' && !two) throw new FilterSyntaxException(parameter, position, "'!='", "'!' alone");
                    var op = two ? text.Substring(i, 2) : c.ToString();
                    tokens.Add(new(FilterTokenKind.Operator, op, position));
                    i += op.Length;
                    continue;
                case '\'' or '"':
                    tokens.Add(ReadString(text, ref i, parameter));
                    continue;
            }
            if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                tokens.Add(ReadNumberOrDate(text, ref i, parameter));
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                var word = text[start..i];
                var kind = word.ToLowerInvariant() switch
                {
                    "and" => FilterTokenKind.And,
                    "or" => FilterTokenKind.Or,
                    "true" when word == "true" => FilterTokenKind.True,
                    "false" when word == "false" => FilterTokenKind.False,
                    _ => FilterTokenKind.Identifier,
                };
                tokens.Add(new(kind, word, position));
                continue;
            }
            throw new FilterSyntaxException(parameter, position, "an attribute, a value, an operator or a parenthesis", $"'{c}'");
        }
        tokens.Add(new(FilterTokenKind.End, "", text.Length + 1));
        return tokens;
    }

    private static FilterToken ReadString(string text, ref int i, string parameter)
    {
        var quote = text[i];
        var start = i;
        var value = new StringBuilder();
        i++;
        while (i < text.Length && text[i] != quote)
        {
            if (text[i] == '\\' && i + 1 < text.Length) i++;
            value.Append(text[i]);
            i++;
        }
        if (i >= text.Length)
            throw new FilterSyntaxException(parameter, text.Length + 1, $"a closing {quote} for the string that starts at position {start + 1}", "the end of the expression");
        i++;
        return new(FilterTokenKind.String, text[start..i], start + 1, value.ToString());
    }

    private static FilterToken ReadNumberOrDate(string text, ref int i, string parameter)
    {
        var start = i;
        var date = DatePattern().Match(text, i);
        if (date.Success && (i + date.Length >= text.Length || !char.IsAsciiLetterOrDigit(text[i + date.Length])))
        {
            i += date.Length;
            var literal = date.Value;
            var styles = DateTimeStyles.AllowWhiteSpaces | (date.Groups[4].Success ? DateTimeStyles.None : DateTimeStyles.AssumeUniversal);
            if (!DateTimeOffset.TryParse(literal, CultureInfo.InvariantCulture, styles, out var value))
                throw new FilterSyntaxException(parameter, start + 1, "a valid date (xs:dateTime)", $"'{literal}'");
            return new(FilterTokenKind.Date, literal, start + 1, value);
        }
        if (text[i] == '-') i++;
        while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
        if (i < text.Length && (char.IsAsciiLetter(text[i]) || text[i] is '.' or '_'))
            throw new FilterSyntaxException(parameter, i + 1, "a whole number (or a date such as 2012-05-25T13:30:15Z)", $"'{text[start..(i + 1)]}'");
        var digits = text[start..i];
        if (!decimal.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) || digits.TrimStart('-').Length > 28)
            throw new FilterSyntaxException(parameter, start + 1, "a number of at most 28 digits", $"'{digits}'");
        return new(FilterTokenKind.Integer, digits, start + 1, number);
    }
}
