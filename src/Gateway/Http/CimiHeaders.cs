namespace CimiGrains.Gateway.Http;

/// <summary>CIMI's HTTP headers, and the middleware that negotiates the specification version.</summary>
public static class CimiHeaders
{
    public const string SpecificationVersion = "CIMI-Specification-Version";
    public const string JobUri = "CIMI-Job-URI";
    public const string RequestId = "X-Request-Id";

    /// <summary>Versions this provider implements; a requested <c>1</c> or <c>1.0</c> matches by prefix.</summary>
    public static readonly string[] Supported = [CimiUris.SpecificationVersion];

    /// <summary>
    /// Adds <c>CIMI-Specification-Version</c> and a request id to every answer, and refuses with 400 a
    /// request that names only versions this provider does not implement (StratusLab's semantics: a
    /// comma-separated preference list, first match wins, prefix match).
    /// </summary>
    public static async Task Negotiate(HttpContext context, Func<Task> next)
    {
        if (context.Request.Headers[RequestId] is [{ Length: > 0 and <= 64 } given] && given.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            context.TraceIdentifier = given;
        context.Response.Headers[RequestId] = context.TraceIdentifier;
        context.Response.Headers[SpecificationVersion] = CimiUris.SpecificationVersion;
        var requested = context.Request.Headers[SpecificationVersion].ToString();
        if (requested.Length == 0) requested = context.Request.Headers["X-" + SpecificationVersion].ToString();
        if (requested.Length > 0 && context.Request.Path.StartsWithSegments("/cimi"))
        {
            var wanted = requested.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var match = wanted.Select(w => Supported.FirstOrDefault(s => s == w || s.StartsWith(w + ".", StringComparison.Ordinal)))
                .FirstOrDefault(m => m is not null);
            if (match is null)
            {
                await CimiErrors.Write(context, StatusCodes.Status400BadRequest,
                    $"CIMI-Specification-Version '{requested}' names no version this provider implements; it implements {string.Join(", ", Supported)}.");
                return;
            }
        }
        await next();
    }
}
