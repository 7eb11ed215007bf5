using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Gateway.Serialization;
using CimiGrains.Tests.Binding;

namespace CimiGrains.Tests.ReadModel;

/// <summary>
/// The streaming JSON writer of collection pages gives exactly the bytes of the document-tree path
/// (<see cref="CimiDocuments"/>), which the golden files pin down, for every stored resource type.
/// </summary>
public sealed class StreamedCollectionJsonTests
{
    private static readonly JsonWriterOptions Options = new() { Encoder = CimiJson.Options.Encoder };

    /// <summary>Keys as jsonb returns them: shorter first, then bytewise — never the descriptor's order.</summary>
    private static byte[] AsJsonb(JsonNode node)
    {
        static JsonNode? Shuffle(JsonNode? n) => n switch
        {
            JsonObject o => new JsonObject(o.OrderBy(p => Encoding.UTF8.GetByteCount(p.Key)).ThenBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => KeyValuePair.Create(p.Key, Shuffle(p.Value?.DeepClone())))),
            JsonArray a => new JsonArray([.. a.Select(i => Shuffle(i?.DeepClone()))]),
            _ => n?.DeepClone(),
        };
        return Encoding.UTF8.GetBytes(Shuffle(node)!.ToJsonString());
    }

    private static string Tree(CimiType type, IReadOnlyList<byte[]> stored, long count)
    {
        var document = CimiDocuments.Collection(type, Samples.Base, count,
            stored.Select(d => CimiDocuments.FromStored(Encoding.UTF8.GetString(d), type, Samples.Base)), type.ConsumerCreatable);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options)) document.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Streamed(CimiType type, IReadOnlyList<byte[]> stored, long count)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
            CimiJsonStreaming.WriteCollection(writer, type, Samples.Base, count, stored, type.ConsumerCreatable);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static TheoryData<string> TypeNames() => [.. Samples.Resources.Select(r => r.Type.TypeName)];

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void Pages_of_every_type_stream_to_the_same_bytes_as_the_document_tree(string typeName)
    {
        var (type, resource) = Samples.Resources.Single(r => r.Type.TypeName == typeName);
        var stored = AsJsonb(JsonSerializer.SerializeToNode(resource, resource.GetType(), CimiJson.Options)!);
        Assert.Equal(Tree(type, [stored, stored], 7), Streamed(type, [stored, stored], 7));
    }

    [Fact]
    public void Empty_pages_omit_the_item_array_as_the_document_tree_does()
    {
        Assert.Equal(Tree(CimiTypes.Machine, [], 0), Streamed(CimiTypes.Machine, [], 0));
        Assert.Equal(Tree(CimiTypes.Job, [], 3), Streamed(CimiTypes.Job, [], 3));
    }

    [Fact]
    public void Unknown_keys_nested_ids_escapes_and_absolute_hrefs_match_the_document_tree()
    {
        var stored = Encoding.UTF8.GetBytes("""
            {"zzz": {"id": "x/1", "b": [{"href": "y/2"}, "machines/3", 1.50e3], "a": {"href": "http://other/abs"}},
             "id": "machines/m\u00e9<1>", "cpu": 4, "name": "caf\u00e9 \"quoted\" \\ <tag> &amp;", "state": "STARTED",
             "memory": 12345678901234567890, "machineConfig": {"href": "machineConfigs/c1", "cpu": 2, "id": "machineConfigs/c1"},
             "properties": {"z": "1", "a": "\ud83d\ude00", "href": "not/absolutized?"},
             "operations": [{"rel": "edit", "href": "machines/m1"}, {"href": "https://x/y", "rel": "delete"}],
             "id2": null, "flag": true, "list": [], "obj": {}, "k\"ey": 1, "caf\u00e9": "x", "naïve": {"href": "n/ï"},
             "long": {"href": "LONG"}}
            """.Replace("LONG", new string('a', 700)));
        Assert.Equal(Tree(CimiTypes.Machine, [stored], 1), Streamed(CimiTypes.Machine, [stored], 1));
    }
}
