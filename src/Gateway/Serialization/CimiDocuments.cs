using System.Text.Json;
using System.Text.Json.Nodes;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// Turns resources into CIMI documents (a <see cref="JsonObject"/> with <c>resourceURI</c> first,
/// attributes in the type's descriptor order, absolute hrefs) that either rendering can write.
/// Everything the Gateway emits goes through here.
/// </summary>
public static class CimiDocuments
{
    public static JsonObject FromResource(CimiResource resource, CimiType type, BaseUri baseUri) =>
        FromRecord(resource, CimiDescriptors.For(type.ClrType), baseUri);

    /// <summary>Any described record (resources, the CloudEntryPoint, ResourceMetadata) as a document.</summary>
    public static JsonObject FromRecord(object record, CimiDescriptor descriptor, BaseUri baseUri)
    {
        var node = JsonSerializer.SerializeToNode(record, record.GetType(), CimiJson.Options)!.AsObject();
        return Finish(node, descriptor, baseUri);
    }

    /// <summary>A document from the read model (JSON text with relative ids, keys in jsonb's order).</summary>
    public static JsonObject FromStored(string json, CimiType type, BaseUri baseUri) =>
        Finish(JsonNode.Parse(json)!.AsObject(), CimiDescriptors.For(type.ClrType), baseUri);

    /// <summary>A document from the read model as UTF-8 JSON (a page of a collection).</summary>
    public static JsonObject FromStored(ReadOnlySpan<byte> utf8Json, CimiType type, BaseUri baseUri) =>
        Finish(JsonNode.Parse(utf8Json)!.AsObject(), CimiDescriptors.For(type.ClrType), baseUri);

    /// <summary>A stored document of a type known only by its descriptor ($expand).</summary>
    public static JsonObject FromStored(string json, CimiDescriptor descriptor, BaseUri baseUri) =>
        Finish(JsonNode.Parse(json)!.AsObject(), descriptor, baseUri);

    public static JsonObject Collection(CimiType type, BaseUri baseUri, long count, IEnumerable<JsonObject> items, bool canAdd) =>
        Collection(type.CollectionTypeUri, baseUri.Absolute(type.Kind.CollectionSegment), type.CollectionArray, count, items, canAdd,
            type.Registration.CollectionActions);

    public static JsonObject Collection(string collectionTypeUri, string collectionId, string arrayName, long count,
        IEnumerable<JsonObject> items, bool canAdd, IReadOnlyList<CimiActionDeclaration>? collectionActions = null)
    {
        var doc = new JsonObject
        {
            ["resourceURI"] = collectionTypeUri,
            ["id"] = collectionId,
            ["count"] = count,
        };
        var array = new JsonArray();
        foreach (var item in items) array.Add(item);
        // CIMI omits empty arrays rather than sending [].
        if (array.Count > 0) doc[arrayName] = array;
        if (canAdd)
        {
            var operations = new JsonArray(new JsonObject { ["rel"] = "add", ["href"] = collectionId });
            foreach (var action in collectionActions ?? [])
                operations.Add(new JsonObject { ["rel"] = CimiUris.ActionPrefix + action.Name, ["href"] = collectionId });
            doc["operations"] = operations;
        }
        return doc;
    }

    private static JsonObject Finish(JsonObject body, CimiDescriptor descriptor, BaseUri baseUri)
    {
        var doc = Ordered(body, descriptor);
        doc.Insert(0, "resourceURI", descriptor.TypeUri);
        Absolutize(doc, baseUri);
        return doc;
    }

    /// <summary>
    /// A copy of <paramref name="obj"/> with its keys in descriptor order (href first, unknown keys
    /// last), recursively for structures. jsonb does not keep key order, and a reader of JSON should
    /// see the same order as in XML.
    /// </summary>
    public static JsonObject Ordered(JsonObject obj, CimiDescriptor? descriptor)
    {
        var result = new JsonObject();
        void Move(string key, JsonNode? value, CimiDescriptor? nested)
        {
            obj.Remove(key);
            result[key] = value switch
            {
                JsonObject o when nested is not null => Ordered(o, nested),
                JsonArray a when nested is not null => new JsonArray([.. a.Select(i => (JsonNode?)Ordered(i!.AsObject(), nested))]),
                _ => value,
            };
        }
        if (obj.TryGetPropertyValue("resourceURI", out var uri)) Move("resourceURI", uri, null);
        if (obj.TryGetPropertyValue("href", out var href)) Move("href", href, null);
        if (descriptor is not null)
        {
            foreach (var attribute in descriptor.Attributes)
            {
                if (obj.TryGetPropertyValue(attribute.Name, out var value))
                    Move(attribute.Name, value, attribute.Kind is CimiValueKind.Struct or CimiValueKind.StructArray ? attribute.Nested : null);
            }
        }
        foreach (var (key, value) in obj.ToList()) Move(key, value, null);
        return result;
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
