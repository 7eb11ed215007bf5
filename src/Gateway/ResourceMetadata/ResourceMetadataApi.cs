using System.Text.Json;
using System.Text.Json.Nodes;
using CimiGrains.Gateway.Hosting;
using Microsoft.Extensions.Options;

namespace CimiGrains.Gateway.ResourceMetadata;

/// <summary>
/// <c>/cimi/resourceMetadata</c> (the ResourceMetadataCollection, linked from the CloudEntryPoint) and
/// <c>/cimi/resourceMetadata/{TypeName}</c>. Read-only: metadata describes this build, not tenant data.
/// </summary>
public static class ResourceMetadataApi
{
    public const string Path = "resourceMetadata";
    public const string CollectionTypeName = "ResourceMetadataCollection";

    public static RouteGroupBuilder MapResourceMetadataApi(this RouteGroupBuilder cimi)
    {
        cimi.MapGet($"/{Path}", (CimiRequest request) =>
        {
            var query = CollectionQuery.Parse(request.Http).CheckedAgainst(CimiDescriptors.For<ResourceMetadataRecord>());
            return new CimiResult(StatusCodes.Status200OK, Collection(query, request), "Collection", isCollection: true);
        });
        cimi.MapGet($"/{Path}/{{typeName}}", (string typeName, CimiRequest request) =>
        {
            var catalog = Catalog(request);
            var record = ResourceMetadataCatalog.Find(catalog, typeName)
                ?? throw new CimiException(CimiErrorKind.NotFound, $"No ResourceMetadata for '{typeName}'; types are {string.Join(", ", catalog.Select(r => r.Name))}.");
            return new CimiResult(StatusCodes.Status200OK,
                CimiDocuments.FromRecord(record, CimiDescriptors.For<ResourceMetadataRecord>(), request.BaseUri), "ResourceMetadata");
        });
        return cimi;
    }

    /// <summary>
    /// The ResourceMetadataCollection answering <paramref name="query"/>. A small fixed catalog: the
    /// query runs in memory over the documents in their stored form (relative ids), with the read
    /// model's semantics, and only the page is rendered.
    /// </summary>
    public static JsonObject Collection(CollectionQuery query, CimiRequest request)
    {
        var baseUri = request.BaseUri;
        var descriptor = CimiDescriptors.For<ResourceMetadataRecord>();
        var (count, page) = InMemoryQuery.Run(Catalog(request).Select(Stored), query);
        var items = page.Select(d => CimiDocuments.FromStored(d.ToJsonString(), descriptor, baseUri));
        return CimiDocuments.Collection(CimiUris.TypeUri(CollectionTypeName), baseUri.Absolute(Path), "resourceMetadatas", count, items, canAdd: false);
    }

    private static IReadOnlyList<ResourceMetadataRecord> Catalog(CimiRequest request) =>
        ResourceMetadataCatalog.Configured(request.Http.HttpContext.RequestServices.GetRequiredService<IOptions<CimiGatewayOptions>>().Value);

    private static JsonObject Stored(ResourceMetadataRecord record) =>
        JsonSerializer.SerializeToNode(record, CimiJson.Options)!.AsObject();
}
