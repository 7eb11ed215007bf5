using System.Text.Json.Nodes;
using CimiGrains.Gateway.CloudEntryPoint;
using CimiGrains.Gateway.ResourceMetadata;

namespace CimiGrains.Tests.Binding;

/// <summary>
/// Every registered CIMI type (<see cref="CimiTypeRegistry"/>) has the whole of its binding: reviewed
/// golden files (resource, collection, ResourceMetadata; JSON and valid DSP8009 XML), a CloudEntryPoint
/// link, a ResourceMetadata entry that states its registration's facts, and routes that answer. A
/// registration added without one of them fails here, with the missing piece named.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TypeRegistrationTests(GatewayFixture fixture)
{
    public static TheoryData<string> Types => [.. CimiTypeRegistry.All.Select(r => r.TypeName)];

    private static CimiTypeRegistration Registration(string typeName) => CimiTypeRegistry.ForTypeName(typeName)!;

    [Theory]
    [MemberData(nameof(Types))]
    public void A_registered_type_has_golden_files_and_its_XML_ones_are_valid_DSP8009(string typeName)
    {
        foreach (var shape in new[] { typeName, typeName + "Collection", "ResourceMetadata-" + typeName })
        {
            var json = Path.Combine(GoldenFiles.Folder, shape + ".json");
            var xml = Path.Combine(GoldenFiles.Folder, shape + ".xml");
            Assert.True(File.Exists(json), $"{typeName} is registered but has no golden file {json}: add it to the crawl (GoldenCrawlTests) and review it.");
            Assert.True(File.Exists(xml), $"{typeName} is registered but has no golden file {xml}: add it to the crawl (GoldenCrawlTests) and review it.");
            Assert.NotNull(JsonNode.Parse(File.ReadAllText(json)));
            CimiSchema.AssertValid(Concrete(File.ReadAllText(xml)));
        }
    }

    /// <summary>A golden file with its placeholders (GoldenFiles.Normalize) filled back in, so the schema's URI and dateTime types accept it.</summary>
    private static string Concrete(string golden) => golden
        .Replace("{port}", "8080", StringComparison.Ordinal)
        .Replace("{id}", "0123456789abcdef0123456789abcdef", StringComparison.Ordinal)
        .Replace("{time}", "2026-01-01T00:00:00Z", StringComparison.Ordinal)
        .Replace("{tenant}", "tenant", StringComparison.Ordinal)
        .Replace("{requestId}", "request", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(Types))]
    public void A_registered_type_is_linked_from_the_entry_point_and_described_as_registered(string typeName)
    {
        var registration = Registration(typeName);
        var entryPoint = CloudEntryPointApi.Build("t", null, "http://example.test/cimi/");
        Assert.True(entryPoint.Collections?.TryGetValue(registration.EntryPointAttribute, out var link) == true
            && link is ResourceRef { Href: var href } && href == registration.Kind.CollectionSegment,
            $"The CloudEntryPoint does not link {typeName}'s collection as '{registration.EntryPointAttribute}'.");

        var metadata = ResourceMetadataCatalog.Find(typeName);
        Assert.True(metadata is not null, $"{typeName} has no ResourceMetadata entry.");
        Assert.Equal(CimiUris.TypeUri(typeName), metadata.TypeUri);
        var attributes = metadata.Attributes!.ToDictionary(a => a.Name!, StringComparer.Ordinal);
        foreach (var name in registration.ReadOnlyAttributes().Where(attributes.ContainsKey))
            Assert.False(attributes[name].ConsumerWritable, $"{typeName}.{name} is provider-set but its ResourceMetadata says consumers may write it.");
        foreach (var constraint in registration.Constraints)
        {
            Assert.True(attributes.TryGetValue(constraint.Attribute, out var attribute),
                $"{typeName} constrains '{constraint.Attribute}', which its record does not have.");
            Assert.Contains(constraint.Description, attribute.Description);
        }
        Assert.Equal(registration.Capabilities.Select(c => c.Name), (metadata.Capabilities ?? []).Select(c => c.Name));
        Assert.Equal(registration.Actions.Select(a => a.Uri), (metadata.Actions ?? []).Select(a => a.Uri));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public async Task A_registered_type_answers_every_route_of_its_collection(string typeName)
    {
        var registration = Registration(typeName);
        var segment = registration.Kind.CollectionSegment;
        using var client = await fixture.NewTenantAsync();

        var list = await client.GetAsync(segment);
        Assert.True(list.Code == 200, $"GET {segment}: {list}");
        Assert.Equal(CimiUris.TypeUri(typeName + "Collection"), list.Json["resourceURI"]?.GetValue<string>());
        var canAdd = list.Json["operations"] is JsonArray operations && operations.Any(o => o?["rel"]?.GetValue<string>() == "add");
        Assert.True(canAdd == registration.ConsumerCreatable, $"{segment} offers 'add': {canAdd}, but consumers may create {typeName}s: {registration.ConsumerCreatable}.");

        // An id nobody made: every route must reach the type's grain (its own 404), never the fallback.
        var missing = $"{segment}/0123456789abcdef0123456789abcdef";
        foreach (var (method, url) in new[] { (HttpMethod.Get, missing), (HttpMethod.Delete, missing) })
        {
            var response = await client.SendAsync(method, url, null, null);
            Assert.True(response.Code == 404 && response.Body.Contains("was not found", StringComparison.Ordinal),
                $"{method} {url} should be the grain's 404: {response}");
        }
        // A PUT with an empty document: a route reads the body (400), the fallback would say 404/405.
        var put = await client.SendAsync(HttpMethod.Put, missing, "", "application/json");
        if (registration.CreatedByProvider)
            // Never edited (an existing one is a 405): the route still answers for the id first.
            Assert.True(put.Code == 404 && put.Body.Contains("was not found", StringComparison.Ordinal), $"PUT {missing} should be the route's 404: {put}");
        else
            Assert.True(put.Code == 400, $"PUT {missing} should reach a route that reads the body: {put}");

        var post = await client.SendAsync(HttpMethod.Post, segment, "", "application/json");
        if (registration.ConsumerCreatable)
            Assert.True(post.Code == 400, $"POST {segment} should reach a create route that reads the body: {post}");
        else
            Assert.True(post.Code == 405 && post.Body.Contains("created by the provider", StringComparison.Ordinal), $"POST {segment}: {post}");
    }
}
