using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
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
        var itemBase = new Base(baseUri.Value);
        writer.WriteStartObject();
        writer.WriteString("resourceURI", type.CollectionTypeUri);
        writer.WriteString("id", collectionId);
        writer.WriteNumber("count", count);
        // CIMI omits empty arrays rather than sending [].
        if (storedItems.Count > 0)
        {
            writer.WriteStartArray(type.CollectionArray);
            foreach (var item in storedItems) WriteStored(writer, item, descriptor, itemBase);
            writer.WriteEndArray();
        }
        if (canAdd)
        {
            writer.WriteStartArray("operations");
            writer.WriteStartObject();
            writer.WriteString("rel", "add");
            writer.WriteString("href", collectionId);
            writer.WriteEndObject();
            foreach (var action in type.Registration.CollectionActions)
            {
                writer.WriteStartObject();
                writer.WriteString("rel", CimiUris.ActionPrefix + action.Name);
                writer.WriteString("href", collectionId);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    /// <summary>One stored document (UTF-8 JSON, relative ids) as a CIMI document of <paramref name="descriptor"/>.</summary>
    public static void WriteStored(Utf8JsonWriter writer, ReadOnlyMemory<byte> utf8Json, CimiDescriptor descriptor, BaseUri baseUri) =>
        WriteStored(writer, utf8Json, descriptor, new Base(baseUri.Value));

    private static void WriteStored(Utf8JsonWriter writer, ReadOnlyMemory<byte> utf8Json, CimiDescriptor descriptor, Base baseUri)
    {
        using var document = JsonDocument.Parse(utf8Json);
        WriteOrdered(writer, document.RootElement, descriptor, baseUri, descriptor.TypeUri);
    }

    /// <summary>The base URI as a string and as UTF-8, computed once per page.</summary>
    private sealed class Base(string value)
    {
        public string Value { get; } = value;

        public byte[] Utf8 { get; } = Encoding.UTF8.GetBytes(value);
    }

    /// <summary>
    /// <see cref="CimiDocuments.Ordered"/> and <see cref="CimiDocuments.Absolutize"/> in one pass:
    /// resourceURI, href, the descriptor's attributes, then every other key in stored order.
    /// </summary>
    private static void WriteOrdered(Utf8JsonWriter writer, JsonElement obj, CimiDescriptor descriptor, Base baseUri, string? resourceUri)
    {
        var order = Order.For(descriptor);
        var properties = ArrayPool<(int Rank, JsonProperty Property)>.Shared.Rent(obj.GetPropertyCount());
        try
        {
            var count = 0;
            foreach (var property in obj.EnumerateObject())
            {
                // The top-level resourceURI is the type's; a stored one (never written by grains) would clash.
                if (resourceUri is not null && property.NameEquals("resourceURI"u8)) continue;
                properties[count++] = (order.Rank(property), property);
            }
            // Stable: equal ranks (unknown keys) keep their stored order.
            var sorted = properties.AsSpan(0, count);
            InsertionSort(sorted);

            writer.WriteStartObject();
            if (resourceUri is not null) writer.WriteString("resourceURI"u8, resourceUri);
            foreach (var (rank, property) in sorted) WriteProperty(writer, property, order.Nested(rank), baseUri);
            writer.WriteEndObject();
        }
        finally
        {
            // Cleared: the entries refer to the pooled JsonDocument.
            ArrayPool<(int Rank, JsonProperty Property)>.Shared.Return(properties, clearArray: true);
        }
    }

    private static void WriteProperty(Utf8JsonWriter writer, JsonProperty property, CimiDescriptor? nested, Base baseUri)
    {
        WriteName(writer, property);
        var value = property.Value;
        if (value.ValueKind == JsonValueKind.String && (property.NameEquals("id"u8) || property.NameEquals("href"u8)))
            WriteReference(writer, value, baseUri);
        else WriteValue(writer, value, nested, baseUri);
    }

    /// <summary>The name as stored; re-escaped through the name's string only when the stored form has escapes.</summary>
    private static void WriteName(Utf8JsonWriter writer, JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.IndexOf((byte)'\\') < 0) writer.WritePropertyName(raw);
        else writer.WritePropertyName(property.Name);
    }

    /// <summary>An id or href: absolute as it is, else prefixed with the base URI (<see cref="BaseUri.Absolute"/>).</summary>
    private static void WriteReference(Utf8JsonWriter writer, JsonElement value, Base baseUri)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        raw = raw[1..^1]; // the quotes
        if (raw.IndexOf((byte)'\\') >= 0)
        {
            var s = value.GetString()!;
            writer.WriteStringValue(s.Contains("://") ? s : baseUri.Value + s);
            return;
        }
        if (raw.IndexOf("://"u8) >= 0)
        {
            writer.WriteStringValue(raw);
            return;
        }
        var length = baseUri.Utf8.Length + raw.Length;
        var rented = length > 512 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> absolute = rented is null ? stackalloc byte[512] : rented;
        baseUri.Utf8.CopyTo(absolute);
        raw.CopyTo(absolute[baseUri.Utf8.Length..]);
        writer.WriteStringValue(absolute[..length]);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonElement value, CimiDescriptor? nested, Base baseUri)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when nested is not null:
                WriteOrdered(writer, value, nested, baseUri, resourceUri: null);
                break;
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject()) WriteProperty(writer, property, null, baseUri);
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

    private static void InsertionSort(Span<(int Rank, JsonProperty Property)> items)
    {
        for (var i = 1; i < items.Length; i++)
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
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _ranksBySpan;
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
            _ranksBySpan = _ranks.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public static Order For(CimiDescriptor descriptor) => Cache.GetValue(descriptor, d => new Order(d));

        /// <summary>Looked up without allocating the name, unless it is long or stored with escapes.</summary>
        public int Rank(JsonProperty property)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (raw.Length > 128 || raw.IndexOf((byte)'\\') >= 0) return _ranks.GetValueOrDefault(property.Name, UnknownRank);
            Span<char> name = stackalloc char[128];
            var length = Encoding.UTF8.GetChars(raw, name);
            return _ranksBySpan.TryGetValue(name[..length], out var rank) ? rank : UnknownRank;
        }

        public CimiDescriptor? Nested(int rank) => rank is >= 0 and < UnknownRank ? _nested[rank] : null;
    }
}
