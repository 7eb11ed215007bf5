using System.Text.Json;
using System.Text.Json.Nodes;

namespace CimiGrains.Gateway.Http;

/// <summary>
/// A CIMI document answer, rendered as JSON or XML from the same <see cref="JsonObject"/> according
/// to the request's Accept header (406 when neither can be given).
/// </summary>
public sealed class CimiResult(int status, JsonObject? document, string rootName, bool isCollection = false) : IResult
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

    public int Status => status;

    public CimiResult WithHeader(string name, string value)
    {
        _headers[name] = value;
        return this;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var format = document is null ? MediaTypes.Json : MediaTypes.Negotiate(httpContext.Request.Headers.Accept);
        if (format == MediaTypes.Xml && !CimiXml.Supported) format = null;
        if (format is null)
        {
            await CimiErrors.Write(httpContext, StatusCodes.Status406NotAcceptable,
                $"The Accept header '{httpContext.Request.Headers.Accept}' allows no representation this cloud serves (application/json).");
            return;
        }
        response.StatusCode = status;
        foreach (var (name, value) in _headers) response.Headers[name] = value;
        if (document is null) return;
        if (format == MediaTypes.Xml)
        {
            response.ContentType = MediaTypes.Xml + "; charset=utf-8";
            await CimiXml.WriteAsync(response.Body, document, rootName, isCollection, httpContext.RequestAborted);
            return;
        }
        response.ContentType = MediaTypes.Json + "; charset=utf-8";
        await using var writer = new Utf8JsonWriter(response.Body, new JsonWriterOptions { Encoder = CimiJson.Options.Encoder });
        document.WriteTo(writer);
    }
}
