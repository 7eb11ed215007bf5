using System.Text.Json.Nodes;
using CimiGrains.ReadModel;
using CimiGrains.ReadModel.Filter;

namespace CimiGrains.Gateway.Resources;

/// <summary>
/// The HTTP shape every stored CIMI resource shares: list (from the read model), read, update (PUT,
/// with <c>$select</c> for a partial update) and delete. Creation differs per family and is mapped
/// by each family's API.
/// </summary>
public static class ResourceCollectionApi
{
    public static RouteGroupBuilder MapCimiResources<TResource, TGrain>(this RouteGroupBuilder cimi, CimiType type)
        where TResource : CimiResource
        where TGrain : ICimiResourceGrain<TResource>
    {
        var segment = type.Kind.CollectionSegment;
        cimi.MapGet($"/{segment}", (CimiRequest request, IResourceReader readModel, CancellationToken ct) =>
            ListAsync(request, readModel, type, ct));
        cimi.MapGet($"/{segment}/{{id}}", async (string id, CimiRequest request) =>
            request.Document(StatusCodes.Status200OK, await request.Grain<TGrain>(id).Get(), type));
        cimi.MapPut($"/{segment}/{{id}}", async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<TGrain>(id);
            var document = await ReadUpdateAsync<TResource>(request, type, async () => await grain.Get());
            return request.Document(StatusCodes.Status200OK, await grain.Update(document), type);
        });
        cimi.MapDelete($"/{segment}/{{id}}", async (string id, CimiRequest request) =>
        {
            await request.Grain<TGrain>(id).Delete();
            return Results.Ok();
        });
        return cimi;
    }

    public static async Task<StoredCollectionResult> ListAsync(CimiRequest request, IResourceReader readModel, CimiType type, CancellationToken ct)
    {
        var query = CollectionQuery.Parse(request.Http);
        query.CheckedAgainst(CimiDescriptors.For(type.ClrType));
        var page = await readModel.QueryAsync(request.TenantId, type.Kind, query.ToResourceQuery(), ct);
        return new StoredCollectionResult(type, request.BaseUri, page);
    }

    /// <summary>
    /// The document a PUT asks for. With <c>$select=a,b</c> only the named attributes change: they are
    /// taken from the body (a named attribute absent from the body is removed) and the rest is kept.
    /// </summary>
    public static async Task<TResource> ReadUpdateAsync<TResource>(CimiRequest request, CimiType type, Func<Task<CimiResource>> current)
        where TResource : class
    {
        var body = await CimiRequestReader.ReadDocumentAsync(request.Http, type.TypeName);
        var select = request.Http.Query["$select"].ToString();
        if (select.Length > 0)
        {
            var names = select.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (var name in names)
            {
                if (type.ReadOnlyAttributes.Contains(name))
                    throw CimiRequestException.BadRequest($"'{name}' is set by the provider and cannot be selected for update.");
            }
            var merged = CimiDocuments.FromResource(await current(), type, request.BaseUri);
            foreach (var key in merged.Select(p => p.Key).Where(k => type.ReadOnlyAttributes.Contains(k) || k == "resourceURI").ToList())
                merged.Remove(key);
            foreach (var name in names)
            {
                merged.Remove(name);
                if (body.TryGetPropertyValue(name, out var value)) merged[name] = value?.DeepClone();
            }
            body = merged;
        }
        return CimiRequestReader.Bind<TResource>(body, request.BaseUri, type.ReadOnlyAttributes, type.TypeName);
    }

    /// <summary>Binds a create body of <typeparamref name="T"/> (common read-only attributes rejected).</summary>
    public static async Task<T> ReadCreateAsync<T>(CimiRequest request, string typeName) where T : class
    {
        var body = await CimiRequestReader.ReadDocumentAsync(request.Http, typeName);
        return CimiRequestReader.Bind<T>(body, request.BaseUri, CimiTypes.CommonReadOnly, typeName);
    }

    internal static JsonObject Empty() => [];
}
