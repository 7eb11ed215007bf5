using Microsoft.Net.Http.Headers;

namespace CimiGrains.Gateway.Serialization;

/// <summary>The two CIMI renderings and how requests name them.</summary>
public static class MediaTypes
{
    public const string Json = "application/json";
    public const string Xml = "application/xml";
    public const string Unsupported = "unsupported";

    /// <summary>The body's format: Json, Xml, Unsupported, or null when no Content-Type was sent.</summary>
    public static string? OfContentType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType)) return null;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed)) return Unsupported;
        var type = parsed.MediaType.Value?.ToLowerInvariant();
        return type switch
        {
            "application/json" or "text/json" => Json,
            "application/xml" or "text/xml" => Xml,
            _ when type?.EndsWith("+json", StringComparison.Ordinal) == true => Json,
            _ when type?.EndsWith("+xml", StringComparison.Ordinal) == true => Xml,
            _ => Unsupported,
        };
    }

    /// <summary>
    /// The rendering an Accept header asks for: JSON for no header, <c>*/*</c> or <c>application/*</c>;
    /// otherwise the acceptable one with the highest quality (JSON on a tie); null when neither is.
    /// </summary>
    public static string? Negotiate(string? accept)
    {
        if (string.IsNullOrWhiteSpace(accept)) return Json;
        if (!MediaTypeHeaderValue.TryParseList([accept], out var ranges) || ranges.Count == 0) return Json;
        double Quality(string candidate) => ranges
            .Where(r => Matches(r, candidate))
            .Select(r => r.Quality ?? 1.0)
            .DefaultIfEmpty(0)
            .Max();
        var json = Quality(Json);
        var xml = Math.Max(Quality(Xml), Quality("text/xml") > 0 && Quality(Xml) == 0 ? Quality("text/xml") : 0);
        if (json <= 0 && xml <= 0) return null;
        return xml > json ? Xml : Json;
    }

    private static bool Matches(MediaTypeHeaderValue range, string candidate)
    {
        var type = range.MediaType.Value ?? "";
        if (type == "*/*") return true;
        if (type.EndsWith("/*", StringComparison.Ordinal))
            return candidate.StartsWith(type[..^1], StringComparison.OrdinalIgnoreCase);
        return string.Equals(type, candidate, StringComparison.OrdinalIgnoreCase);
    }
}
