using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// Reads a JSON request body (UTF-8, as RFC 8259 requires) into a <see cref="JsonObject"/> after one
/// forward-only pass over its tokens (no recursion) that enforces what the tree cannot: the depth limit,
/// no key given twice in an object, UTF-8 and well-formed escapes in every string. Messages name the
/// attribute by its path (<c>machineTemplate.machineConfig.cpuArch</c>, <c>disks[0].format</c>).
/// </summary>
public static class CimiJsonReader
{
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    private sealed class Frame(string path, bool isArray)
    {
        public string Path { get; } = path;
        public bool IsArray { get; } = isArray;
        public HashSet<string>? Keys { get; } = isArray ? null : new HashSet<string>(StringComparer.Ordinal);
        public string? Key { get; set; }
        public int Index { get; set; }
    }

    public static JsonObject Read(ReadOnlySpan<byte> utf8, string typeName)
    {
        if (utf8.StartsWith(Utf8Bom)) utf8 = utf8[Utf8Bom.Length..];
        Validate(utf8);
        try
        {
            // The depth was checked above; the parser's own limit is only a backstop.
            var node = JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = CimiDocumentLimits.MaxDepth + 1 });
            return node as JsonObject ?? throw CimiRequestException.BadRequest($"The body must be a JSON object holding a {typeName}.");
        }
        catch (JsonException e)
        {
            throw NotJson(e);
        }
    }

    private static void Validate(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            MaxDepth = CimiDocumentLimits.MaxDepth + 1,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        });
        var frames = new Stack<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (reader.CurrentDepth + 1 > CimiDocumentLimits.MaxDepth) throw CimiDocumentLimits.TooDeep();
                        frames.Push(new Frame(ValuePath(frames), reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        frames.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        var frame = frames.Peek();
                        var key = Text(ref reader, frame.Path, isKey: true);
                        var at = Join(frame.Path, key);
                        if (!frame.Keys!.Add(key)) throw CimiRequestException.BadRequest($"'{CimiText.Printable(at, 200)}' is given more than once.");
                        frame.Key = key;
                        break;
                    case JsonTokenType.String:
                        Text(ref reader, ValuePath(frames), isKey: false);
                        break;
                    default:
                        ValuePath(frames);
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            if (!Utf8.IsValid(utf8))
                throw CimiRequestException.BadRequest($"The body is not valid UTF-8 (byte {InvalidUtf8At(utf8) + 1}); JSON bodies must be UTF-8.");
            throw NotJson(e);
        }
    }

    /// <summary>Where the value being read sits; in an array, also moves on to the next index.</summary>
    private static string ValuePath(Stack<Frame> frames)
    {
        if (frames.Count == 0) return "";
        var frame = frames.Peek();
        return frame.IsArray ? $"{frame.Path}[{frame.Index++}]" : Join(frame.Path, frame.Key ?? "");
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>The string (or key) as UTF-16, or a 400 naming where it is when its bytes or escapes are not text.</summary>
    private static string Text(ref Utf8JsonReader reader, string path, bool isKey)
    {
        var where = isKey ? (path.Length == 0 ? "A key of the body" : $"A key in '{CimiText.Printable(path, 200)}'") : $"'{CimiText.Printable(path, 200)}'";
        if (!Utf8.IsValid(reader.ValueSpan))
            throw CimiRequestException.BadRequest($"{where} is not valid UTF-8; JSON bodies must be UTF-8.");
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // The bytes are UTF-8, so what does not decode is an escape: \uD800 without its pair.
            throw CimiRequestException.BadRequest($"{where} holds an unpaired surrogate escape (such as \\ud800 alone); {CimiText.Rule}.");
        }
    }

    private static int InvalidUtf8At(ReadOnlySpan<byte> utf8)
    {
        var offset = 0;
        while (offset < utf8.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(utf8[offset..], out _, out var consumed);
            if (status != System.Buffers.OperationStatus.Done) return offset;
            offset += consumed;
        }
        return offset;
    }

    private static CimiRequestException NotJson(JsonException e) =>
        CimiRequestException.BadRequest(
            $"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {CimiText.Printable(FirstSentence(e.Message), 300)}");

    private static string FirstSentence(string message) =>
        message.IndexOf(". ", StringComparison.Ordinal) is var i and > 0 ? message[..(i + 1)] : message;
}
