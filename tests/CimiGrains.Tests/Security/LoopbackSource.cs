using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace CimiGrains.Tests.Security;

/// <summary>
/// HTTP requests that come from one chosen loopback address (127.0.0.0/8 is all local on Linux), so a
/// test can play several client machines against one gateway: the gateway sees each as its own source.
/// </summary>
public sealed class LoopbackSource : IDisposable
{
    private readonly HttpClient _http;

    public LoopbackSource(Uri baseAddress, string address)
    {
        Address = IPAddress.Parse(address);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(Address, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public IPAddress Address { get; }

    /// <summary>A GET with HTTP Basic credentials made of <paramref name="user"/> and <paramref name="password"/> as given.</summary>
    public Task<CimiResponse> GetAsync(string path, string user, string password, string? forwardedFor = null) =>
        GetRawAsync(path, Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")), forwardedFor);

    /// <summary>A GET with the Basic token exactly as given (to send bytes that are not valid UTF-8), and an
    /// <c>X-Forwarded-For</c> header when given (as a proxy, or a client pretending to be one, would send).</summary>
    public async Task<CimiResponse> GetRawAsync(string path, string? basicToken, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (basicToken is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", basicToken);
        if (forwardedFor is not null) request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var all = response.Headers.Concat(response.Content.Headers)
            .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return new CimiResponse(response.StatusCode, text, response.Content.Headers.ContentType?.MediaType, all);
    }

    public void Dispose() => _http.Dispose();
}
