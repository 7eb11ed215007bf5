using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>An HTTP client of one CimiGrains user, speaking JSON unless told otherwise.</summary>
public sealed class CimiClient(Uri baseAddress, string user, string password) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(60),
        DefaultRequestHeaders =
        {
            Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))),
        },
    };

    public Uri BaseAddress => baseAddress;
    public string User => user;

    /// <summary>The CIMI baseURI (<c>http://127.0.0.1:port/cimi/</c>).</summary>
    public string Cimi => new Uri(baseAddress, "/cimi/").ToString();

    public Task<CimiResponse> GetAsync(string url, string? accept = null) => SendAsync(HttpMethod.Get, url, null, null, accept);

    public Task<CimiResponse> PostAsync(string url, JsonNode body) => SendAsync(HttpMethod.Post, url, body.ToJsonString(), "application/json");

    public Task<CimiResponse> PutAsync(string url, JsonNode body) => SendAsync(HttpMethod.Put, url, body.ToJsonString(), "application/json");

    public Task<CimiResponse> DeleteAsync(string url) => SendAsync(HttpMethod.Delete, url, null, null);

    public async Task<CimiResponse> SendAsync(HttpMethod method, string url, string? body, string? contentType,
        string? accept = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, Absolute(url));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var all = response.Headers.Concat(response.Content.Headers)
            .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return new CimiResponse(response.StatusCode, text, response.Content.Headers.ContentType?.MediaType, all);
    }

    /// <summary>Relative urls are taken relative to the CIMI baseURI (<c>machines</c> → <c>/cimi/machines</c>).</summary>
    public string Absolute(string url) =>
        url.StartsWith("http", StringComparison.Ordinal) ? url : url.StartsWith('/') ? new Uri(baseAddress, url).ToString() : Cimi + url;

    /// <summary>Polls a Job until it is finished and returns it.</summary>
    public async Task<JsonObject> WaitForJobAsync(string jobUri, TimeSpan? timeout = null)
    {
        var job = await Eventually.Until(() => GetAsync(jobUri),
            r => r.Code == 200 && r.Json["state"]?.GetValue<string>() is "SUCCESS" or "FAILED" or "STOPPED",
            $"job {jobUri} to finish", timeout);
        return job.Json;
    }

    public void Dispose() => _http.Dispose();
}
