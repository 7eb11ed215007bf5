using System.Text.Json.Nodes;

namespace CimiGrains.Gateway.Resources;

/// <summary>
/// The documents of a resource's sub-collections (a Machine's disks and volumes, a Volume's images): their
/// items are not resources of their own in the read model, so the owning grain lists them and these render
/// them, each item by its registered document type and the collection as <c>{typeName}Collection</c>.
/// </summary>
public static class SubCollectionResults
{
    public static CimiResult Item(CimiRequest request, int status, CimiResource item, string typeName) =>
        new(status, CimiDocuments.FromRecord(item, CimiDescriptors.ByTypeName(typeName)!, request.BaseUri), typeName);

    /// <summary>The item of <paramref name="items"/> whose id is <paramref name="id"/>, or 404 naming it.</summary>
    public static CimiResult Item(CimiRequest request, IEnumerable<CimiResource> items, string id, string typeName) =>
        Item(request, StatusCodes.Status200OK, items.FirstOrDefault(i => i.Id == id) ?? throw CimiException.NotFound($"{typeName} '{id}'"), typeName);

    public static CimiResult Collection(CimiRequest request, string collectionId, string typeName, string arrayName,
        IEnumerable<CimiResource> items, bool canAdd)
    {
        var descriptor = CimiDescriptors.ByTypeName(typeName)!;
        var documents = items.Select(i => CimiDocuments.FromRecord(i, descriptor, request.BaseUri)).ToList();
        JsonObject document = CimiDocuments.Collection(CimiUris.TypeUri(typeName + "Collection"), request.BaseUri.Absolute(collectionId),
            arrayName, documents.Count, documents, canAdd);
        return new CimiResult(StatusCodes.Status200OK, document, typeName, isCollection: true);
    }
}
