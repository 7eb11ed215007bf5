namespace CimiGrains.Gateway.ResourceMetadata;

/// <summary>
/// <c>/cimi/resourceMetadata</c> (the ResourceMetadataCollection, linked from the CloudEntryPoint) and
/// <c>/cimi/resourceMetadata/{TypeName}</c>. Read-only: metadata describes this build, not tenant data.
/// </summary>
public static class ResourceMetadataApi
{
    public const string Path = "resourceMetadata";

    public static RouteGroupBuilder MapResourceMetadataApi(this RouteGroupBuilder cimi)
    {
        cimi.MapGet($"/{Path}", (CimiRequest request) =>
        {
            if (request.Http.Query.ContainsKey("$filter") || request.Http.Query.ContainsKey("$orderby"))
                throw CimiRequestException.BadRequest("The resourceMetadata collection lists one fixed entry per type; it takes no $filter or $orderby.");
            var query = CollectionQuery.Parse(request.Http);
            var descriptor = CimiDescriptors.For<ResourceMetadataRecord>();
            var all = ResourceMetadataCatalog.All;
            var items = all.Skip(query.First - 1).Take(Math.Max(0, query.Last - query.First + 1))
                .Select(r => CimiDocuments.FromRecord(r, descriptor, request.BaseUri));
            var collection = CimiDocuments.Collection(CimiUris.TypeUri("ResourceMetadataCollection"), request.BaseUri.Absolute(Path),
                "resourceMetadatas", all.Count, items, canAdd: false);
            return new CimiResult(StatusCodes.Status200OK, collection, "Collection", isCollection: true);
        });
        cimi.MapGet($"/{Path}/{{typeName}}", (string typeName, CimiRequest request) =>
        {
            var record = ResourceMetadataCatalog.Find(typeName)
                ?? throw new CimiException(CimiErrorKind.NotFound, $"No ResourceMetadata for '{typeName}'; types are {string.Join(", ", ResourceMetadataCatalog.All.Select(r => r.Name))}.");
            return new CimiResult(StatusCodes.Status200OK,
                CimiDocuments.FromRecord(record, CimiDescriptors.For<ResourceMetadataRecord>(), request.BaseUri), "ResourceMetadata");
        });
        return cimi;
    }
}
