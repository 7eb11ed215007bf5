using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// Reads a request body into a CIMI record: checks the media type, parses, makes hrefs relative,
/// rejects attributes the consumer may not write, and binds strictly (unknown attributes and wrong
/// types are errors that name the attribute).
/// </summary>
public static class CimiRequestReader
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, BaseUri baseUri, IReadOnlySet<string> readOnly, string typeName)
        where T : class
    {
        var node = await ReadDocumentAsync(request, typeName);
        return Bind<T>(node, baseUri, readOnly, typeName);
    }

    /// <summary>
    /// The body as a JSON object, whichever supported format it came in: buffered (bounded), parsed within
    /// <see cref="CimiDocumentLimits"/> without recursion, and every key and string checked against
    /// <see cref="CimiText"/>, so that what is handed on can be bound, stored and rendered.
    /// </summary>
    public static async Task<JsonObject> ReadDocumentAsync(HttpRequest request, string typeName)
    {
        // Every write reads its body here first: an answer the client cannot accept must be refused
        // now, not after the write, when the 406 would hide a create or an update that happened.
        if (MediaTypes.Negotiate(request.Headers.Accept) is null)
            throw new CimiRequestException(StatusCodes.Status406NotAcceptable,
                $"The Accept header '{CimiText.Printable(request.Headers.Accept.ToString(), 200)}' allows no representation this cloud serves (application/json, application/xml); nothing was changed.");
        var mediaType = MediaTypes.OfContentType(request.ContentType);
        if (mediaType is null)
            throw new CimiRequestException(StatusCodes.Status415UnsupportedMediaType,
                $"A {typeName} body needs a Content-Type of application/json or application/xml.");
        if (mediaType == MediaTypes.Unsupported)
            throw new CimiRequestException(StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type '{CimiText.Printable(request.ContentType ?? "", 200)}' is not supported; send application/json or application/xml.");
        if (mediaType == MediaTypes.Json && MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed)
            && parsed.Charset is { Length: > 0 } charset && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            throw new CimiRequestException(StatusCodes.Status415UnsupportedMediaType,
                $"JSON bodies must be UTF-8; charset '{CimiText.Printable(charset.ToString(), 100)}' is not supported.");
        var body = await ReadBodyAsync(request);
        var document = mediaType == MediaTypes.Xml ? CimiXml.Read(body, typeName) : CimiJsonReader.Read(body, typeName);
        CheckText(document);
        if (typeName == "Action") NormalizeAction(document, request.Path);
        return document;
    }

    /// <summary>The whole body, up to <see cref="CimiDocumentLimits.MaxBodyBytes"/> (the server's own limit normally stops it first).</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength > CimiDocumentLimits.MaxBodyBytes) throw CimiDocumentLimits.TooLarge();
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > CimiDocumentLimits.MaxBodyBytes) throw CimiDocumentLimits.TooLarge();
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Every key and string of the document against <see cref="CimiText"/>, naming the attribute by its
    /// path. Iterative with an explicit stack, and depth-checked although both readers already were.
    /// </summary>
    public static void CheckText(JsonObject document)
    {
        var pending = new Stack<(JsonNode? Node, string Path, int Depth)>();
        pending.Push((document, "", 1));
        while (pending.Count > 0)
        {
            var (node, path, depth) = pending.Pop();
            if (depth > CimiDocumentLimits.MaxDepth) throw CimiDocumentLimits.TooDeep();
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        if (CimiText.FindProblem(key) is { } keyProblem)
                        {
                            var where = path.Length == 0 ? "A key of the body" : $"A key in '{CimiText.Printable(path, 200)}'";
                            throw CimiRequestException.BadRequest($"{where} holds {keyProblem}; {CimiText.Rule}.");
                        }
                        pending.Push((value, path.Length == 0 ? key : $"{path}.{key}", depth + 1));
                    }
                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++) pending.Push((array[i], $"{path}[{i}]", depth + 1));
                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    if (CimiText.FindProblem(value.GetValue<string>()) is { } problem)
                        throw CimiRequestException.BadRequest($"'{CimiText.Printable(path, 200)}' holds {problem}; {CimiText.Rule}.");
                    break;
            }
        }
    }

    /// <summary>
    /// Makes a sloppy Action's <c>action</c> canonical: trimmed, any case or scheme of the DMTF action
    /// prefix (StratusLab wrote <c>…/Action/</c>), or a bare name, become <c>…/cimi/1/action/{name}</c>;
    /// a missing or blank one is taken from the URL when the action href ends in the action's name
    /// (<c>…/machines/{id}/stop</c>, as Deltacloud advertises them).
    /// </summary>
    public static void NormalizeAction(JsonObject action, PathString path)
    {
        var given = action["action"] is JsonValue v && v.TryGetValue<string>(out var s) ? s.Trim() : null;
        if (string.IsNullOrEmpty(given))
        {
            var last = path.Value?.TrimEnd('/').Split('/').LastOrDefault();
            if (last is { Length: > 0 } && last.All(char.IsAsciiLetter)) action["action"] = CimiUris.Action(last.ToLowerInvariant());
            return;
        }
        var slash = given.LastIndexOf('/');
        var name = slash >= 0 ? given[(slash + 1)..] : given;
        var prefix = slash >= 0 ? given[..(slash + 1)] : null;
        var dmtf = prefix is null || prefix.EndsWith("schemas.dmtf.org/cimi/1/action/", StringComparison.OrdinalIgnoreCase);
        if (dmtf && name.Length > 0 && name.All(char.IsAsciiLetter)) action["action"] = CimiUris.Action(name.ToLowerInvariant());
        else action["action"] = given;
    }

    public static T Bind<T>(JsonObject node, BaseUri baseUri, IReadOnlySet<string> readOnly, string typeName) where T : class
    {
        foreach (var key in node.Select(p => p.Key))
        {
            if (readOnly.Contains(key))
                throw CimiRequestException.BadRequest($"'{key}' is set by the provider and cannot be written in a {typeName}.");
        }
        Normalize(node, baseUri, "$");
        try
        {
            return node.Deserialize<T>(CimiJson.Options) ?? throw CimiRequestException.BadRequest($"The body must hold a {typeName}.");
        }
        catch (JsonException e)
        {
            throw CimiRequestException.BadRequest(Describe(e, typeName));
        }
    }

    /// <summary>Drops <c>resourceURI</c>, trims values, and makes every href relative (or rejects it).</summary>
    private static void Normalize(JsonNode? node, BaseUri baseUri, string path)
    {
        switch (node)
        {
            case JsonObject obj:
                obj.Remove("resourceURI");
                foreach (var (key, value) in obj.ToList())
                {
                    var at = $"{path}.{key}";
                    if (value is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        if (key == "href")
                        {
                            var relative = baseUri.Relative(s)
                                ?? throw CimiRequestException.BadRequest($"'{at}' = '{s}' does not reference a resource of this cloud.");
                            // Unescaping (%00) can make text the rule forbids out of text it allows.
                            if (CimiText.FindProblem(relative) is { } problem)
                                throw CimiRequestException.BadRequest($"'{at}' names a resource whose id holds {problem}; no resource has such an id.");
                            obj[key] = relative;
                        }
                        // Secrets are taken exactly as given; other values lose surrounding whitespace.
                        else if (key != "password" && s.Length > 0 && (char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])))
                        {
                            obj[key] = s.Trim();
                        }
                    }
                    else Normalize(value, baseUri, at);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) Normalize(array[i], baseUri, $"{path}[{i}]");
                break;
        }
    }

    private static string Describe(JsonException e, string typeName)
    {
        var path = e.Path is { Length: > 1 } p ? p.TrimStart('$').TrimStart('.') : null;
        var message = e.Message;
        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            var start = message.IndexOf('\'');
            var end = start >= 0 ? message.IndexOf('\'', start + 1) : -1;
            var attribute = end > start ? message[(start + 1)..end] : path;
            var where = path is { Length: > 0 } && path != attribute ? $" (in '{path}')" : "";
            return $"'{attribute}' is not an attribute of {typeName}{where}.";
        }
        return path is { Length: > 0 }
            ? $"'{path}' has a value of the wrong type or format for a {typeName}."
            : $"The body is not a valid {typeName}: {FirstSentence(message)}";
    }

    private static string FirstSentence(string message) =>
        message.IndexOf(". ", StringComparison.Ordinal) is var i and > 0 ? message[..(i + 1)] : message;
}
