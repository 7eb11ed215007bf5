using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.ReadModel;

namespace CimiGrains.Gateway.Resources;

/// <summary>
/// A collection page from the read model. A plain JSON read — the common case, and the one that must
/// stay fast at pages of 100 — is written straight from the stored bytes by
/// <see cref="CimiJsonStreaming"/>; XML, <c>$select</c> and <c>$expand</c> need the document tree
/// and go through <see cref="CimiResult"/>, which gives the same JSON for the same page.
/// </summary>
public sealed class StoredCollectionResult(CimiType type, BaseUri baseUri, ResourcePage page) : IResult
{
    /// <summary>The page as a <see cref="CimiResult"/> (its document built in memory).</summary>
    public CimiResult ToCimiResult() =>
        new(StatusCodes.Status200OK, Document(type, baseUri, page, type.ConsumerCreatable), "Collection", isCollection: true);

    /// <summary>A page from the read model as a collection document (also inlined by the entry point's $expand).</summary>
    public static JsonObject Document(CimiType type, BaseUri baseUri, ResourcePage page, bool canAdd) =>
        CimiDocuments.Collection(type, baseUri, page.Count, page.Documents.Select(d => CimiDocuments.FromStored(d, type, baseUri)), canAdd);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var request = httpContext.Request;
        if (!HttpMethods.IsGet(request.Method) || CimiProjection.Requested(request)
            || MediaTypes.Negotiate(request.Headers.Accept) != MediaTypes.Json)
        {
            await ToCimiResult().ExecuteAsync(httpContext);
            return;
        }
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = MediaTypes.Json + "; charset=utf-8";
        var body = response.BodyWriter;
        using (var writer = new Utf8JsonWriter(body, new JsonWriterOptions { Encoder = CimiJson.Options.Encoder }))
            CimiJsonStreaming.WriteCollection(writer, type, baseUri, page.Count, page.Documents, type.ConsumerCreatable);
        await body.FlushAsync(httpContext.RequestAborted);
    }
}
