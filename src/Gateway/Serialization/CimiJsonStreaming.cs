using System.Runtime.CompilerServices;
using System.Text.Json;

namespace CimiGrains.Gateway.Serialization;

/// <summary>
/// Writes read-model documents as CIMI JSON straight from their stored UTF-8 bytes, without building a
/// <see cref="System.Text.Json.Nodes.JsonObject"/> per item: the output is the one
/// <see cref="CimiDocuments.FromStored(string, CimiDescriptor, BaseUri)"/> followed by
/// <c>WriteTo</c> gives — <c>resourceURI</c> first, keys in descriptor order (recursively for
/// structures, unknown keys last in stored order), every relative <c>id</c>/<c>href</c> string made
/// absolute at any depth — for pages of JSON answers, where the DOM rebuild dominated the cost.
/// XML answers and <c>$select</c>/<c>$expand</c> keep the <see cref="CimiDocuments"/> path.
/// </summary>
public static class CimiJsonStreaming
{
    /// <summary>The same envelope as <see cref="CimiDocuments.Collection(CimiType, BaseUri, long, IEnumerable{System.Text.Json.Nodes.JsonObject}, bool)"/>.</summary>
    public static void WriteCollection(Utf8JsonWriter writer, CimiType type, BaseUri baseUri, long count,
        IReadOnlyList<byte[]> storedItems, bool canAdd)
    {
        var descriptor = CimiDescriptors.For(type.ClrType);
        var collectionId = baseUri.Absolute(type.Kind.CollectionSegment);
        writer.WriteStartObject();
        writer.WriteString("resourceURI", type.CollectionTypeUri);
        writer.WriteString("id", collectionId);
        writer.WriteNumber("count", count);
        // CIMI omits empty arrays rather than sending [].
        if (storedItems.Count > 0)
        {
            writer.WriteStartArray(type.CollectionArray);
            foreach (var item in storedItems) WriteStored(writer, item, descriptor, baseUri);
            writer.WriteEndArray();
        }
        if (canAdd)
        {
            writer.WriteStartArray("operations");
            writer.WriteStartObject();
            writer.WriteString("rel", "add");
            writer.WriteString("href", collectionId);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    /// <summary>One stored document (UTF-8 JSON, relative ids) as a CIMI document of <paramref name="descriptor"/>.</summary>
    public static void WriteStored(Utf8JsonWriter writer, ReadOnlyMemory<byte> utf8Json, CimiDescriptor descriptor, BaseUri baseUri)
    {
        using var document = JsonDocument.Parse(utf8Json);
        WriteOrdered(writer, document.RootElement, descriptor, baseUri, descriptor.TypeUri);
    }

    /// <summary>
    /// <see cref="CimiDocuments.Ordered"/> and <see cref="CimiDocuments.Absolutize"/> in one pass:
    /// resourceURI, href, the descriptor's attributes, then every other key in stored order.
    /// </summary>
    private static void WriteOrdered(Utf8JsonWriter writer, JsonElement obj, CimiDescriptor descriptor, BaseUri baseUri, string? resourceUri)
    {
        var order = Order.For(descriptor);
        var properties = new List<(int Rank, JsonProperty Property)>(24);
        foreach (var property in obj.EnumerateObject())
        {
            var name = property.Name;
            // The top-level resourceURI is the type's; a stored one (never written by grains) would clash.
            if (resourceUri is not null && name == "resourceURI") continue;
            properties.Add((order.Rank(name), property));
        }
        // Stable: equal ranks (unknown keys) keep their stored order.
        InsertionSort(properties);

        writer.WriteStartObject();
        if (resourceUri is not null) writer.WriteString("resourceURI", resourceUri);
        foreach (var (rank, property) in properties)
            WriteProperty(writer, property.Name, property.Value, order.Nested(rank), baseUri);
        writer.WriteEndObject();
    }

    private static void WriteProperty(Utf8JsonWriter writer, string name, JsonElement value, CimiDescriptor? nested, BaseUri baseUri)
    {
        if (name is "id" or "href" && value.ValueKind == JsonValueKind.String)
        {
            var s = value.GetString()!;
            if (!s.Contains("://"))
            {
                writer.WriteString(name, baseUri.Absolute(s));
                return;
            }
        }
        writer.WritePropertyName(name);
        WriteValue(writer, value, nested, baseUri);
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonElement value, CimiDescriptor? nested, BaseUri baseUri)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when nested is not null:
                WriteOrdered(writer, value, nested, baseUri, resourceUri: null);
                break;
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject()) WriteProperty(writer, property.Name, property.Value, null, baseUri);
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    if (nested is not null && item.ValueKind == JsonValueKind.Object) WriteOrdered(writer, item, nested, baseUri, resourceUri: null);
                    else WriteValue(writer, item, null, baseUri);
                }
                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    private static void InsertionSort(List<(int Rank, JsonProperty Property)> items)
    {
        for (var i = 1; i < items.Count; i++)
        {
            var current = items[i];
            var j = i - 1;
            while (j >= 0 && items[j].Rank > current.Rank)
            {
                items[j + 1] = items[j];
                j--;
            }
            items[j + 1] = current;
        }
    }

    /// <summary>A descriptor's key order as ranks (resourceURI, href, attributes, then unknown keys), computed once per descriptor.</summary>
    private sealed class Order
    {
        private const int ResourceUriRank = -2;
        private const int HrefRank = -1;
        private const int UnknownRank = int.MaxValue;

        private static readonly ConditionalWeakTable<CimiDescriptor, Order> Cache = [];

        private readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);
        private readonly CimiDescriptor?[] _nested;

        private Order(CimiDescriptor descriptor)
        {
            var attributes = descriptor.Attributes;
            _nested = new CimiDescriptor?[attributes.Count];
            for (var i = 0; i < attributes.Count; i++)
            {
                var attribute = attributes[i];
                _ranks.TryAdd(attribute.Name, i);
                _nested[i] = attribute.Kind is CimiValueKind.Struct or CimiValueKind.StructArray ? attribute.Nested : null;
            }
            // Moved ahead of the attributes, and never reordered inside, whatever the descriptor says.
            _ranks["resourceURI"] = ResourceUriRank;
            _ranks["href"] = HrefRank;
        }

        public static Order For(CimiDescriptor descriptor) => Cache.GetValue(descriptor, d => new Order(d));

        public int Rank(string name) => _ranks.GetValueOrDefault(name, UnknownRank);

        public CimiDescriptor? Nested(int rank) => rank is >= 0 and < UnknownRank ? _nested[rank] : null;
    }
}
