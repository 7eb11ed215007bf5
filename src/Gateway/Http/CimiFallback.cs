using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.Routing.Template;

namespace CimiGrains.Gateway.Http;

/// <summary>
/// The answer for a request no endpoint takes. The catch-all fallback is itself a candidate for
/// every path, so routing never produces its own 405: this tells a path that exists under other
/// methods (405 with <c>Allow</c>, e.g. POST on the CloudEntryPoint) from one that does not (404).
/// </summary>
public static class CimiFallback
{
    public static Task Answer(HttpContext context)
    {
        var request = context.Request;
        var allowed = AllowedMethods(context.RequestServices.GetRequiredService<EndpointDataSource>(), request.Path);
        if (allowed.Count == 0)
            return CimiErrors.Write(context, StatusCodes.Status404NotFound, $"Nothing is at '{request.Path}'; start from /cimi/cloudEntryPoint.");
        var allow = string.Join(", ", allowed);
        return CimiErrors.Write(context, StatusCodes.Status405MethodNotAllowed,
            $"'{request.Path}' does not take {request.Method}; it allows {allow}.", allow);
    }

    /// <summary>The methods of the endpoints whose route matches <paramref name="path"/> (catch-all routes aside).</summary>
    public static IReadOnlyList<string> AllowedMethods(EndpointDataSource endpoints, PathString path)
    {
        var methods = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { HttpMethods.Count: > 0 } metadata
                || endpoint.RoutePattern.Parameters.Any(p => p.IsCatchAll))
                continue;
            if (Matcher(endpoint.RoutePattern).TryMatch(path, []))
                methods.UnionWith(metadata.HttpMethods);
        }
        return [.. methods];
    }

    private static TemplateMatcher Matcher(RoutePattern pattern) => new(new RouteTemplate(pattern), []);
}
