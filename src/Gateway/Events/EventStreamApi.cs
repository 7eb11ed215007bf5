using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Events;
using Microsoft.Net.Http.Headers;

namespace CimiGrains.Gateway.Events;

/// <summary>
/// The live stream extension (docs/EVENTS.md, ResourceMetadata capability <c>LiveStream</c>):
/// <c>GET /cimi/eventLogs/{log}/stream</c> with <c>Accept: text/event-stream</c> sends the log's events as
/// Server-Sent Events, <c>id:</c> the Event's number (<c>events/{n}</c>), <c>event:</c> its type
/// (state, alarm, model, access), <c>data:</c> the Event document in JSON. <c>$filter</c> narrows it as on
/// the events collection. <c>Last-Event-ID</c> resumes after that event (one the log does not hold is a
/// 400); without it the stream starts with what happens next. The stream comes from this process's tail of
/// the journal, so any gateway serves any tenant's stream, and an event committed through another silo
/// arrives here too. Mapped beside the CIMI group (whose filter allows only JSON and XML), authenticated alike.
/// </summary>
public static class EventStreamApi
{
    public const string EventStream = "text/event-stream";
    public const string Segment = "stream";

    /// <summary>How often an idle stream sends a comment, so proxies and clients see it alive.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapEventStreamApi(this IEndpointRouteBuilder app)
    {
        app.MapGet($"/cimi/{EventLogIds.Segment}/{{id}}/{Segment}",
            async (string id, CimiRequest request, IEventLogReader reader, IEventStream stream, TimeProvider clock, CancellationToken ct) =>
            {
                var http = request.Http;
                if (!Accepts(http.Headers.Accept))
                    return Results.Extensions.Error(StatusCodes.Status406NotAcceptable,
                        $"The Accept header '{http.Headers.Accept}' does not allow {EventStream}, the only representation of the live stream.");
                var (resourceId, explicitLog) = await EventLogApi.ResolveAsync(request, reader, id, ct);
                var query = CollectionQuery.Parse(http).CheckedAgainst(CimiDescriptors.For<Event>());
                var after = await ResumeAfterAsync(request, reader, resourceId, EventLogApi.Since(reader, clock, explicitLog), ct) ?? stream.HighWaterMark;
                return new StreamResult(stream.Subscribe(request.TenantId, resourceId, after), query, request.BaseUri);
            }).RequireAuthorization();
        return app;
    }

    private static bool Accepts(Microsoft.Extensions.Primitives.StringValues accept) =>
        accept.Count == 0 || (MediaTypeHeaderValue.TryParseList(accept, out var types)
            && types.Any(t => t.MediaType.Equals(EventStream, StringComparison.OrdinalIgnoreCase) || t.MediaType.Equals("*/*", StringComparison.Ordinal)
                || t.MediaType.Equals("text/*", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The event the consumer saw last, checked to be in this log (and, for a log with a shorter persistence than the
    /// retention, stamped since <paramref name="since"/>); null when none was given.</summary>
    private static async Task<long?> ResumeAfterAsync(CimiRequest request, IEventLogReader reader, string? resourceId, DateTimeOffset? since,
        CancellationToken ct)
    {
        var values = request.Http.Headers["Last-Event-ID"];
        if (values.Count == 0 || string.IsNullOrWhiteSpace(values.ToString())) return null;
        var text = values.ToString().Trim();
        if (values.Count > 1 || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
            throw CimiRequestException.BadRequest($"Last-Event-ID must be the id of an event of this log (a whole number from its SSE id:), not '{text}'.");
        var found = await reader.GetAsync(request.TenantId, id, ct);
        var document = found is null ? null : JsonNode.Parse(found);
        if (document is not null && resourceId is not null && document["content"]?["resource"]?["href"]?.GetValue<string>() != resourceId)
            found = null;
        if (document is not null && since is not null && document["timestamp"]?.GetValue<DateTimeOffset>() < since)
            found = null;
        return found is null
            ? throw CimiRequestException.BadRequest($"Last-Event-ID {id} names no event of this log (it never existed here, or is past the retention or the log's persistence); read the log's events to find where to resume.")
            : id;
    }

    private sealed class StreamResult(IEventSubscription subscription, CollectionQuery query, BaseUri baseUri) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using var _ = subscription;
            var response = httpContext.Response;
            var ct = httpContext.RequestAborted;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = EventStream + "; charset=utf-8";
            response.Headers.CacheControl = "no-store";
            // Buffering proxies (nginx) would hold the events back.
            response.Headers["X-Accel-Buffering"] = "no";
            var eventType = CimiTypes.Of(EventRegistration.Type);
            try
            {
                await Write(response, ": stream of CimiGrains events\n\n", ct);
                var events = subscription.Events;
                while (true)
                {
                    var ready = events.WaitToReadAsync(ct).AsTask();
                    if (await Task.WhenAny(ready, Task.Delay(KeepAlive, ct)) != ready)
                    {
                        await Write(response, ": keep-alive\n\n", ct);
                        continue;
                    }
                    if (!await ready) break;
                    var text = new StringBuilder();
                    while (events.TryRead(out var e))
                    {
                        var stored = JsonNode.Parse(e.Document)!.AsObject();
                        if (query.Filter is { } filter && !InMemoryQuery.Matches(filter, stored)) continue;
                        var document = CimiDocuments.FromStored(e.Document, eventType, baseUri);
                        var type = stored["type"]?.GetValue<string>() is { } uri ? uri[(uri.LastIndexOf('/') + 1)..] : "event";
                        text.Append("id: ").Append(e.Id.ToString(CultureInfo.InvariantCulture)).Append('\n')
                            .Append("event: ").Append(type).Append('\n')
                            .Append("data: ").Append(document.ToJsonString(CimiJson.Options)).Append("\n\n");
                    }
                    if (text.Length > 0) await Write(response, text.ToString(), ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The consumer went away.
            }
            catch (InvalidOperationException e)
            {
                // Fell too far behind: say so and end; the consumer resumes with Last-Event-ID.
                await Write(response, $": {e.Message}\n\n", CancellationToken.None);
            }
        }

        private static async Task Write(HttpResponse response, string text, CancellationToken ct)
        {
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
            await response.Body.FlushAsync(ct);
        }
    }
}
