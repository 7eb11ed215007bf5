using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Gateway.Resources;

namespace CimiGrains.Gateway.Http;

/// <summary>
/// A CIMI document answer, rendered as JSON or XML from the same <see cref="JsonObject"/> according
/// to the request's Accept header (406 when neither can be given). On reads, <c>$expand</c> and
/// <c>$select</c> shape the document first, so they work alike for every resource and collection.
/// </summary>
public sealed class CimiResult(int status, JsonObject? document, string rootName, bool isCollection = false) : IResult
{
    private const string CollectionSuffix = "Collection";

    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

    public int Status => status;

    public JsonObject? Document => document;

    public CimiResult WithHeader(string name, string value)
    {
        _headers[name] = value;
        return this;
    }

    /// <summary>The type of the document, or of a collection's items (named by the collection's resourceURI).</summary>
    public CimiDescriptor Descriptor
    {
        get
        {
            var typeName = rootName;
            if (isCollection && document?["resourceURI"]?.GetValue<string>() is { } uri && uri.EndsWith(CollectionSuffix, StringComparison.Ordinal))
                typeName = uri[(uri.LastIndexOf('/') + 1)..^CollectionSuffix.Length];
            return CimiDescriptors.ByTypeName(typeName) ?? throw new InvalidOperationException($"No descriptor for {typeName}.");
        }
    }

    /// <summary>
    /// Endpoint filter for every CIMI endpoint: a request whose Accept header allows neither rendering
    /// gets its 406 before the handler runs. Negotiated only when the answer is rendered, a create or
    /// an action would be carried out (and its Location and CIMI-Job-URI lost) behind an error.
    /// </summary>
    public static async ValueTask<object?> NegotiateFirst(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        MediaTypes.Negotiate(context.HttpContext.Request.Headers.Accept) is null
            ? Results.Extensions.Error(StatusCodes.Status406NotAcceptable, NotAcceptable(context.HttpContext))
            : await next(context);

    private static string NotAcceptable(HttpContext httpContext) =>
        $"The Accept header '{httpContext.Request.Headers.Accept}' allows no representation this cloud serves (application/json, application/xml).";

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var format = document is null ? MediaTypes.Json : MediaTypes.Negotiate(httpContext.Request.Headers.Accept);
        if (format is null)
        {
            await CimiErrors.Write(httpContext, StatusCodes.Status406NotAcceptable, NotAcceptable(httpContext));
            return;
        }
        if (document is not null && HttpMethods.IsGet(httpContext.Request.Method) && CimiProjection.Requested(httpContext.Request))
            await CimiProjection.ApplyAsync(httpContext, document, Descriptor, isCollection);
        response.StatusCode = status;
        foreach (var (name, value) in _headers) response.Headers[name] = value;
        if (document is null) return;
        if (format == MediaTypes.Xml)
        {
            response.ContentType = MediaTypes.Xml + "; charset=utf-8";
            await response.Body.WriteAsync(CimiXml.Render(document, Descriptor, isCollection), httpContext.RequestAborted);
            return;
        }
        response.ContentType = MediaTypes.Json + "; charset=utf-8";
        await using var writer = new Utf8JsonWriter(response.Body, new JsonWriterOptions { Encoder = CimiJson.Options.Encoder });
        document.WriteTo(writer);
    }
}
