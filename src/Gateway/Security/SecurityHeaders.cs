namespace CimiGrains.Gateway.Security;

/// <summary>
/// Security headers on every answer the pipeline writes, errors included (OWASP REST Security Cheat
/// Sheet): the API serves data, never pages, so nothing may sniff, frame, cache or refer it.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>
    /// Middleware body. The headers are added when the response starts, not now, because error writers
    /// clear the response (and its headers) before writing their answer.
    /// </summary>
    public static Task Apply(HttpContext context, Func<Task> next)
    {
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            var headers = http.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            headers["Referrer-Policy"] = "no-referrer";
            // Answers hold tenants' data behind credentials: no shared or browser cache may keep them,
            // unless an endpoint deliberately said otherwise.
            if (!headers.ContainsKey("Cache-Control")) headers.CacheControl = "no-store";
            if (http.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000";
            return Task.CompletedTask;
        }, context);
        return next();
    }
}
