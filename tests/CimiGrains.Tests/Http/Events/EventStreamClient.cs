using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Http.Events;

/// <summary>One Server-Sent Event as the live stream sends it.</summary>
public sealed record StreamEvent(long Id, string Type, JsonObject Data);

/// <summary>
/// A consumer of an EventLog's live stream: opens <c>{log}/stream</c> (with Last-Event-ID when resuming),
/// and reads events until it has what it waits for or a deadline passes. Disposing it disconnects.
/// </summary>
public sealed class EventStreamClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStreamClient(HttpClient http, HttpResponseMessage response, StreamReader reader) =>
        (_http, _response, _reader) = (http, response, reader);

    public List<StreamEvent> Received { get; } = [];

    /// <summary>Opens the stream and waits for its first line (the server has subscribed when it is sent).</summary>
    public static async Task<EventStreamClient> OpenAsync(CimiClient client, string logId, string password, long? lastEventId = null, string query = "")
    {
        // The timeout bounds the wait for the headers only (the body is read after SendAsync returns).
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.User}:{password}")));
        using var request = new HttpRequestMessage(HttpMethod.Get, client.Absolute($"{logId}/stream{query}"));
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is { } id) request.Headers.TryAddWithoutValidation("Last-Event-ID", id.ToString());
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        // The body is read only on a refusal: a stream's body never ends.
        if (!response.IsSuccessStatusCode)
            Assert.Fail($"opening the stream of {logId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        using var first = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.StartsWith(":", await reader.ReadLineAsync(first.Token));
        return new EventStreamClient(http, response, reader);
    }

    /// <summary>Reads events until <paramref name="done"/> holds of what was received; fails naming what was awaited.</summary>
    public async Task<List<StreamEvent>> UntilAsync(Func<List<StreamEvent>, bool> done, string awaited, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        long? id = null;
        string? type = null;
        string? data = null;
        try
        {
            while (!done(Received))
            {
                var line = await _reader.ReadLineAsync(deadline.Token);
                if (line is null) Assert.Fail($"The stream ended while waiting for {awaited}; received {Received.Count} events.");
                if (line.StartsWith("id: ", StringComparison.Ordinal)) id = long.Parse(line[4..]);
                else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
                else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
                else if (line.Length == 0 && data is not null)
                {
                    Received.Add(new StreamEvent(id!.Value, type!, JsonNode.Parse(data)!.AsObject()));
                    (id, type, data) = (null, null, null);
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"Timed out waiting for {awaited} on the stream; received {Received.Count} events: " +
                string.Join(", ", Received.Select(e => $"{e.Id}:{e.Type}")));
        }
        return Received;
    }

    public async ValueTask DisposeAsync()
    {
        // The client first: it closes the connection, so nothing waits to drain a stream that never ends.
        _http.Dispose();
        _response.Dispose();
        _reader.Dispose();
        await Task.CompletedTask;
    }
}
