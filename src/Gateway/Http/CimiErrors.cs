using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Gateway.Hosting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace CimiGrains.Gateway.Http;

/// <summary>
/// The one place where failures become HTTP answers: domain errors from grains, binding errors from
/// the request reader, and anything unexpected (500, logged, without internals in the body).
/// </summary>
public static partial class CimiErrors
{
    public static int StatusOf(CimiErrorKind kind) => kind switch
    {
        CimiErrorKind.Invalid => StatusCodes.Status400BadRequest,
        CimiErrorKind.NotFound => StatusCodes.Status404NotFound,
        CimiErrorKind.Conflict => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status503ServiceUnavailable,
    };

    /// <summary>
    /// Writes <c>{status, error, message, requestId}</c> in JSON, or XML when the client prefers it;
    /// <paramref name="allow"/>, for a 405, lists the methods the resource does take (the <c>Allow</c> header).
    /// </summary>
    public static async Task Write(HttpContext context, int status, string message, string? allow = null)
    {
        var response = context.Response;
        if (response.HasStarted) return;
        response.Clear();
        response.StatusCode = status;
        if (allow is not null) response.Headers.Allow = allow;
        if (status == StatusCodes.Status401Unauthorized)
            response.Headers.WWWAuthenticate = "Basic realm=\"CimiGrains\", charset=\"UTF-8\"";
        response.Headers[CimiHeaders.SpecificationVersion] = CimiUris.SpecificationVersion;
        response.Headers[CimiHeaders.RequestId] = context.TraceIdentifier;
        // Every 503 is a passing condition (database away, cluster reconfiguring, host reconnecting): say
        // when to come back, so clients retry instead of failing or hammering.
        if (status == StatusCodes.Status503ServiceUnavailable)
            response.Headers.RetryAfter = ((int)DatabaseOutage.RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // Rendered where the other documents are, in the format the client accepts.
        await CimiErrorDocument.WriteAsync(context, status, message);
    }

    /// <summary>A 405 answer for an operation the resource does not offer.</summary>
    public static IResult Write405(string message) =>
        Results.Extensions.Error(StatusCodes.Status405MethodNotAllowed, message);

    /// <summary>An <see cref="IResult"/> that writes a CIMI error body.</summary>
    public static IResult Error(this IResultExtensions _, int status, string message) => new ErrorResult(status, message);

    private sealed class ErrorResult(int status, string message) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => Write(httpContext, status, message);
    }

    /// <summary>Exception handling middleware body: maps what was thrown to a CIMI error answer.</summary>
    public static async Task Handle(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var (status, message) = Classify(error);
        // A database outage is logged once, by the tracker, however many requests meet it.
        var outage = context.RequestServices.GetService<DatabaseOutage>()?.Observe(error) ?? false;
        if (status >= 500 && !outage)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("CimiGrains.Gateway.Errors");
            if (status == StatusCodes.Status503ServiceUnavailable)
                LogUnavailable(logger, context.TraceIdentifier, context.Request.Method, context.Request.Path, error?.GetType().Name, error?.Message);
            else LogUnhandled(logger, context.TraceIdentifier, context.Request.Method, context.Request.Path, error);
        }
        await Write(context, status, message);
        if (status == StatusCodes.Status404NotFound) CimiGrains.Gateway.Events.AccessRefusals.RecordCrossTenant(context);
    }

    public static (int Status, string Message) Classify(Exception? error) => error switch
    {
        CimiException e => (StatusOf(e.Kind), e.Message),
        CimiRequestException e => (e.Status, e.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (StatusCodes.Status413PayloadTooLarge, "The request body is larger than this cloud accepts."),
        BadHttpRequestException e => (e.StatusCode, e.Message),
        // The request reader turns these into messages naming the attribute; these arms are the backstop.
        System.Xml.XmlException e => (StatusCodes.Status400BadRequest, $"The body is not well-formed XML: {e.Message}"),
        System.Text.DecoderFallbackException => (StatusCodes.Status400BadRequest, "The body is not valid UTF-8."),
        _ when DatabaseOutage.IsDatabaseUnavailable(error) =>
            (StatusCodes.Status503ServiceUnavailable, "The database is unavailable; retry the request after the time in Retry-After."),
        Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException or TimeoutException =>
            (StatusCodes.Status503ServiceUnavailable, "The cluster is busy or reconfiguring; retry the request."),
        _ => (StatusCodes.Status500InternalServerError, "An internal error occurred; it has been logged with this request id."),
    };

    /// <summary>A passing cluster condition (a silo died, a call timed out): one line, no stack trace.</summary>
    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId} {Method} {Path} answered 503: {Error}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string requestId, string method, string path, string? error, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error in request {RequestId} {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, string requestId, string method, string path, Exception? exception);
}
