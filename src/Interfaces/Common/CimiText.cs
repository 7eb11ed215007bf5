using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CimiGrains.Common;

/// <summary>
/// The one rule for text this cloud accepts, stores and renders: every string must be a sequence of
/// XML 1.0 characters (tab, line feed, carriage return, U+0020–U+D7FF, U+E000–U+FFFD and properly
/// paired surrogates). That is what both renderings can carry (XML cannot hold U+0000–U+001F or
/// U+FFFE/U+FFFF at all) and what PostgreSQL text and jsonb can store (no U+0000, no unpaired
/// surrogates). The Gateway checks request documents against it before binding them, the $filter
/// tokenizer checks query text, and the grains check every document before writing state, so a
/// grain never holds what its read-model row or a rendering would refuse.
/// </summary>
public static class CimiText
{
    /// <summary>How deep a resource record may nest when checked (records are small trees; this only bounds the walk).</summary>
    public const int MaxRecordDepth = 32;

    private static readonly ConcurrentDictionary<Type, (string Name, PropertyInfo Property)[]> Properties = new();

    /// <summary>The index of the first character <paramref name="value"/> may not hold, or -1.</summary>
    public static int IndexOfProblem(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c >= 0x20 && c < 0xD800) continue;
            if (c is '\t' or '\n' or '\r') continue;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
                continue;
            }
            if (c >= 0xE000 && c <= 0xFFFD) continue;
            return i;
        }
        return -1;
    }

    /// <summary>The forbidden character at <paramref name="index"/>, described for a message.</summary>
    public static string Describe(string value, int index) =>
        char.IsSurrogate(value[index]) ? $"an unpaired surrogate (U+{(int)value[index]:X4})" : $"the character U+{(int)value[index]:X4}";

    /// <summary>The first character <paramref name="value"/> may not hold, described (with its 1-based position), or null.</summary>
    public static string? FindProblem(string value) =>
        IndexOfProblem(value) is var i and >= 0 ? $"{Describe(value, i)} at character {i + 1}" : null;

    /// <summary>
    /// <paramref name="text"/> with every character the rule forbids written as <c>\uXXXX</c>, and cut to
    /// <paramref name="maxLength"/>: for messages that quote what a client sent, which must stay renderable.
    /// </summary>
    public static string Printable(string text, int maxLength = 1024)
    {
        if (text.Length > maxLength) text = text[..maxLength] + "…";
        if (IndexOfProblem(text) < 0) return text;
        var result = new System.Text.StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var paired = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            if (paired)
            {
                result.Append(c).Append(text[++i]);
                continue;
            }
            var allowed = c is '\t' or '\n' or '\r' || (c >= 0x20 && c < 0xD800) || (c >= 0xE000 && c <= 0xFFFD);
            if (allowed) result.Append(c);
            else result.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
        }
        return result.ToString();
    }

    /// <summary>What the rule allows, for messages.</summary>
    public const string Rule = "CIMI text holds no control characters other than tab and line breaks, no unpaired surrogates and no U+FFFE/U+FFFF";

    /// <summary>Throws Invalid naming <paramref name="attribute"/> when <paramref name="value"/> breaks the rule.</summary>
    public static void Check(string? value, string attribute)
    {
        if (value is not null && FindProblem(value) is { } problem)
            throw CimiException.Invalid($"'{attribute}' holds {problem}; {Rule}.");
    }

    /// <summary>
    /// Checks every string of a record (a resource, a create document, and whatever they hold by value:
    /// maps, lists, nested records), naming the attribute by its JSON path. The walk follows public
    /// properties only, so it needs no list of attributes that a new record type could miss.
    /// </summary>
    public static void CheckRecord(object? record) => CheckValue(record, "", 0);

    private static void CheckValue(object? value, string path, int depth)
    {
        switch (value)
        {
            case null:
                return;
            case string s:
                Check(s, path);
                return;
            case IReadOnlyDictionary<string, string> map:
                foreach (var (key, item) in map)
                {
                    if (FindProblem(key) is { } problem) throw CimiException.Invalid($"'{path}' has a key that holds {problem}; {Rule}.");
                    Check(item, $"{path}.{key}");
                }
                return;
        }
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is decimal or DateTimeOffset or DateTime or TimeSpan or Guid) return;
        if (depth >= MaxRecordDepth) throw CimiException.Invalid($"'{path}' nests deeper than {MaxRecordDepth} levels.");
        if (value is IEnumerable items)
        {
            var i = 0;
            foreach (var item in items) CheckValue(item, $"{path}[{i++}]", depth + 1);
            return;
        }
        foreach (var (name, property) in Properties.GetOrAdd(type, Describe))
            CheckValue(property.GetValue(value), path.Length == 0 ? name : $"{path}.{name}", depth + 1);
    }

    private static (string, PropertyInfo)[] Describe(Type type) =>
    [
        .. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetMethod is not null && p.GetIndexParameters().Length == 0)
            .Select(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name), p)),
    ];
}
