using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace CimiGrains.Benchmarks.LoadGenerator;

/// <summary>The one HTTP client set-up both commands use, and the loopback-only guard.</summary>
internal static class Loopback
{
    /// <summary>Refuses any URL whose host is not 127.0.0.1: benchmark traffic never leaves the machine.</summary>
    public static Uri Check(string url)
    {
        var uri = new Uri(url, UriKind.Absolute);
        if (uri.Scheme != "http" || !IPAddress.TryParse(uri.Host, out var ip) || !ip.Equals(IPAddress.Loopback))
            throw new ArgumentException($"'{url}' is not http://127.0.0.1:…; the load generator only talks to loopback.");
        return uri;
    }

    /// <summary>
    /// One pooled handler with a connection per worker, kept for the whole run: connection set-up must
    /// not show in the latencies, and neither may proxies, cookies or decompression.
    /// </summary>
    public static HttpClient Client(int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        UseProxy = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        AllowAutoRedirect = false,
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static AuthenticationHeaderValue? Basic(string? userColonPassword) =>
        userColonPassword is null ? null : new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword)));
}
