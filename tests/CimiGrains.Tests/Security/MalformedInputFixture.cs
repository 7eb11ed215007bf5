using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Security;

/// <summary>
/// A Gateway of its own for the malformed-input tests and the fuzz test: a request that kills the
/// process (finding 1 of issue 9) must not take down the gateway the other HTTP tests share.
/// </summary>
public sealed class MalformedInputFixture : IAsyncLifetime
{
    public GatewayProcess Gateway { get; private set; } = null!;

    /// <summary>
    /// The fuzz test checks that a rejected operator request made no login by trying that login: hundreds
    /// of failed logins from 127.0.0.1, which the login throttle would answer 429 (hiding a login that does
    /// work, and refusing the next tenants' first logins). Throttling is AuthenticationTests' subject; here
    /// its limits are out of reach.
    /// </summary>
    private static readonly Dictionary<string, string> Unthrottled = new()
    {
        ["CIMI_LOGIN_FAILURES_PER_USER_SOURCE"] = "1000000",
        ["CIMI_LOGIN_FAILURES_PER_SOURCE"] = "1000000",
        ["CIMI_LOGIN_FAILURES_PER_USER"] = "1000000",
    };

    public async Task InitializeAsync() =>
        Gateway = await GatewayProcess.StartAsync(await TestDatabase.CreateAsync("malformed"), Unthrottled);

    public async Task DisposeAsync() => await Gateway.DisposeAsync();

    public Task<CimiClient> NewTenantAsync() => Tenants.CreateAsync(Gateway, "mf");

    /// <summary>Raw bytes, for bodies a string cannot hold (invalid UTF-8).</summary>
    public Task<CimiResponse> SendRawAsync(string user, string password, HttpMethod method, string url, byte[]? body,
        string? contentType, string? accept = null, IEnumerable<KeyValuePair<string, string>>? headers = null) =>
        RawHttp.SendAsync(Gateway.BaseAddress, user, password, method, url, body, contentType, accept, headers);
}

[CollectionDefinition(Name)]
public sealed class MalformedInputCollection : ICollectionFixture<MalformedInputFixture>
{
    public const string Name = "malformed-input";
}

/// <summary>HTTP without the conveniences of <see cref="CimiClient"/>: any bytes, any header.</summary>
public static class RawHttp
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    public static async Task<CimiResponse> SendAsync(Uri baseAddress, string user, string password, HttpMethod method, string url,
        byte[]? body, string? contentType, string? accept = null, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var target = url.StartsWith("http", StringComparison.Ordinal) ? new Uri(url)
            : url.StartsWith('/') ? new Uri(baseAddress, url) : new Uri(baseAddress, "/cimi/" + url);
        using var request = new HttpRequestMessage(method, target);
        // A caller that sends its own Authorization (the fuzz test's mutations) replaces the Basic login.
        if (headers?.Any(h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)) != true)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        foreach (var (name, value) in headers ?? []) request.Headers.TryAddWithoutValidation(name, value);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var all = response.Headers.Concat(response.Content.Headers)
            .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        return new CimiResponse(response.StatusCode, text, response.Content.Headers.ContentType?.MediaType, all);
    }

    /// <summary>The message of an error answer in either rendering (JSON, or the XML Error element).</summary>
    public static string Message(CimiResponse response)
    {
        if (response.ContentType?.Contains("xml") == true)
        {
            var xml = System.Xml.Linq.XDocument.Parse(response.Body);
            return xml.Root!.Elements().First(e => e.Name.LocalName == "message").Value;
        }
        return JsonNode.Parse(response.Body)?["message"]?.GetValue<string>()
            ?? throw new InvalidOperationException($"No message in {response}");
    }
}
