namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// The CloudEntryPoint's baseURI for a request. Documents are stored with ids relative to it; this is
/// where they become absolute (on the way out) and relative again (on the way in).
/// </summary>
public sealed record BaseUri(string Value)
{
    public const string PathPrefix = "/cimi/";

    public static BaseUri For(HttpRequest request, string? configured) =>
        new(configured is { } c ? (c.EndsWith('/') ? c : c + "/") : $"{request.Scheme}://{request.Host}{request.PathBase}{PathPrefix}");

    /// <summary>The absolute href; a fragment (<c>#name</c>, a SystemTemplate's reference to one of its own
    /// components) names something in the same document and stays as it is.</summary>
    public string Absolute(string relative) => relative.StartsWith('#') ? relative : Value + relative;

    /// <summary>
    /// The relative form of an href a consumer sent, or null when it points outside this cloud. Any
    /// host is accepted as long as the path is under <c>/cimi/</c>: clients reach the same cloud under
    /// several names (localhost, 127.0.0.1, a proxy), and grain keys carry the tenant anyway.
    /// </summary>
    public string? Relative(string href)
    {
        var trimmed = href.Trim();
        if (trimmed.StartsWith(Value, StringComparison.Ordinal)) return trimmed[Value.Length..];
        if (Uri.TryCreate(trimmed, UriKind.Absolute, out var uri))
            return uri.AbsolutePath.StartsWith(PathPrefix, StringComparison.Ordinal) && uri.Scheme is "http" or "https"
                ? Uri.UnescapeDataString(uri.AbsolutePath[PathPrefix.Length..])
                : null;
        if (trimmed.StartsWith(PathPrefix, StringComparison.Ordinal)) return trimmed[PathPrefix.Length..];
        return trimmed.StartsWith('/') ? null : trimmed;
    }
}
