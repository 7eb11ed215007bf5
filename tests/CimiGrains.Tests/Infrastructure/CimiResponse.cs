using System.Net;
using System.Text.Json.Nodes;

namespace CimiGrains.Tests.Infrastructure;

/// <summary>An HTTP answer as the tests look at it.</summary>
public sealed record CimiResponse(HttpStatusCode Status, string Body, string? ContentType, IReadOnlyDictionary<string, string> Headers)
{
    public int Code => (int)Status;

    public JsonObject Json => JsonNode.Parse(Body) as JsonObject
        ?? throw new InvalidOperationException($"Not a JSON object ({Code}): {Body}");

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public override string ToString() => $"{Code} {Body}";
}
