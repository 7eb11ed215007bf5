using System.Text.Json;
using System.Text.Json.Nodes;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// Turns resources into CIMI documents (a <see cref="JsonObject"/> with <c>resourceURI</c> first and
/// absolute hrefs) that either rendering can write. Everything the Gateway emits goes through here.
/// </summary>
public static class CimiDocuments
{
    public static JsonObject FromResource(CimiResource resource, CimiType type, BaseUri baseUri)
    {
        var node = JsonSerializer.SerializeToNode(resource, type.ClrType, CimiJson.Options)!.AsObject();
        return Finish(node, type.TypeUri, baseUri);
    }

    /// <summary>A document from the read model (JSON text with relative ids).</summary>
    public static JsonObject FromStored(string json, CimiType type, BaseUri baseUri) =>
        Finish(JsonNode.Parse(json)!.AsObject(), type.TypeUri, baseUri);

    public static JsonObject Collection(CimiType type, BaseUri baseUri, long count, IEnumerable<JsonObject> items, bool canAdd)
    {
        var collectionId = baseUri.Absolute(type.Kind.CollectionSegment);
        var doc = new JsonObject
        {
            ["resourceURI"] = type.CollectionTypeUri,
            ["id"] = collectionId,
            ["count"] = count,
        };
        var array = new JsonArray();
        foreach (var item in items) array.Add(item);
        // CIMI omits empty arrays rather than sending [].
        if (array.Count > 0) doc[type.CollectionArray] = array;
        if (canAdd) doc["operations"] = new JsonArray(new JsonObject { ["rel"] = "add", ["href"] = collectionId });
        return doc;
    }

    private static JsonObject Finish(JsonObject body, string typeUri, BaseUri baseUri)
    {
        var doc = new JsonObject { ["resourceURI"] = typeUri };
        foreach (var key in body.Select(p => p.Key).ToList())
        {
            var value = body[key];
            body.Remove(key);
            doc[key] = value;
        }
        Absolutize(doc, baseUri);
        return doc;
    }

    /// <summary>Makes every <c>id</c> and <c>href</c> absolute, at any depth.</summary>
    public static void Absolutize(JsonNode? node, BaseUri baseUri)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key is "id" or "href" && value is JsonValue v && v.TryGetValue<string>(out var s) && !s.Contains("://"))
                        obj[key] = baseUri.Absolute(s);
                    else Absolutize(value, baseUri);
                }
                break;
            case JsonArray array:
                foreach (var item in array) Absolutize(item, baseUri);
                break;
        }
    }
}
