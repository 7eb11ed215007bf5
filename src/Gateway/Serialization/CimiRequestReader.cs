using System.Text.Json;
using System.Text.Json.Nodes;

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

    /// <summary>The body as a JSON object, whichever supported format it came in.</summary>
    public static async Task<JsonObject> ReadDocumentAsync(HttpRequest request, string typeName)
    {
        var mediaType = MediaTypes.OfContentType(request.ContentType);
        if (mediaType is null)
            throw new CimiRequestException(StatusCodes.Status415UnsupportedMediaType,
                $"A {typeName} body needs a Content-Type of application/json or application/xml.");
        if (mediaType == MediaTypes.Unsupported)
            throw new CimiRequestException(StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type '{request.ContentType}' is not supported; send application/json or application/xml.");
        var document = mediaType == MediaTypes.Xml
            ? await CimiXml.ReadAsync(request.Body, typeName, request.HttpContext.RequestAborted)
            : await ReadJsonAsync(request, typeName);
        if (typeName == "Action") NormalizeAction(document, request.Path);
        return document;
    }

    private static async Task<JsonObject> ReadJsonAsync(HttpRequest request, string typeName)
    {
        try
        {
            var node = await JsonNode.ParseAsync(request.Body, documentOptions: new JsonDocumentOptions { MaxDepth = 32 },
                cancellationToken: request.HttpContext.RequestAborted);
            return node as JsonObject ?? throw CimiRequestException.BadRequest($"The body must be a JSON object holding a {typeName}.");
        }
        catch (JsonException e)
        {
            throw CimiRequestException.BadRequest(
                $"The body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {FirstSentence(e.Message)}");
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
                            obj[key] = baseUri.Relative(s)
                                ?? throw CimiRequestException.BadRequest($"'{at}' = '{s}' does not reference a resource of this cloud.");
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
