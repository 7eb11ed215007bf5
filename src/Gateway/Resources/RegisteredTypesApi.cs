using System.Reflection;

namespace CimiGrains.Gateway.Resources;

/// <summary>
/// The routes every registered type gets from its registration alone (<see cref="CimiRouting"/>):
/// list, read, update and delete for each stored type, and the collection POST of a plain type (the
/// record itself) or a provider-created one (405). What differs per family — a Create document, a
/// capture, a Machine's Job-answered operations — is mapped by that family's API.
/// </summary>
public static class RegisteredTypesApi
{
    private static readonly MethodInfo MapStoredMethod =
        typeof(RegisteredTypesApi).GetMethod(nameof(MapStored), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static RouteGroupBuilder MapRegisteredTypes(this RouteGroupBuilder cimi)
    {
        foreach (var type in CimiTypes.All.Where(t => t.Registration.Routing != CimiRouting.Custom))
            MapStoredMethod.MakeGenericMethod(type.ClrType, type.Registration.Grain).Invoke(null, [cimi, type]);
        return cimi;
    }

    private static void MapStored<TResource, TGrain>(RouteGroupBuilder cimi, CimiType type)
        where TResource : CimiResource
        where TGrain : ICimiResourceGrain<TResource>
    {
        cimi.MapCimiResources<TResource, TGrain>(type);
        var collection = $"/{type.Kind.CollectionSegment}";
        switch (type.Registration.Routing)
        {
            case CimiRouting.Plain:
                cimi.MapPost(collection, async (CimiRequest request) =>
                {
                    var document = await ResourceCollectionApi.ReadCreateAsync<TResource>(request, type.TypeName);
                    var created = await request.Grain<TGrain>(CimiRequest.NewLocalId()).Create(document);
                    return request.Created(created, type);
                });
                break;
            case CimiRouting.ProviderCreated:
                cimi.MapPost(collection, () => CimiErrors.Write405(
                    $"{type.TypeName}s are created by the provider; the {type.Kind.CollectionSegment} collection has no 'add' operation."));
                break;
        }
    }
}
