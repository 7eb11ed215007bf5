using CimiGrains.Gateway.Machines;
using CimiGrains.Gateway.Resources;
using CimiGrains.ReadModel;
using CimiGrains.Systems;
using static CimiGrains.Gateway.Resources.SubCollectionResults;

namespace CimiGrains.Gateway.Systems;

/// <summary>
/// Systems: create, actions and delete answer 202 with the System's Job (its members' Jobs are nested in it), as
/// a Machine's do; each member collection (<c>systems/{id}/machines</c>, …) lists the members, takes a POSTed item
/// to add an existing resource (201) and a DELETE to take one out (200; the resource stays). SystemTemplates are a
/// plain type (Resources/RegisteredTypesApi). Another tenant's System, or member href, is 404.
/// </summary>
public static class SystemApi
{
    private static CimiType SystemType => CimiTypes.Of(SystemRegistration.Type);

    public static RouteGroupBuilder MapSystemApi(this RouteGroupBuilder cimi)
    {
        var type = SystemType;
        var systems = $"/{type.Kind.CollectionSegment}";
        cimi.MapGet(systems, (CimiRequest request, IResourceReader readModel, CancellationToken ct) =>
            ResourceCollectionApi.ListAsync(request, readModel, type, ct));
        cimi.MapGet(systems + "/{id}", async (string id, CimiRequest request) =>
            request.Document(StatusCodes.Status200OK, await request.Grain<ISystemGrain>(id).Get(), type));
        cimi.MapPost(systems, async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<SystemCreate>(request, "SystemCreate");
            var result = await request.Grain<ISystemGrain>(CimiRequest.NewLocalId()).Create(create, CimiRequest.NewLocalId());
            return request.Accepted(result.System, result.Job);
        });
        cimi.MapPut(systems + "/{id}", async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<ISystemGrain>(id);
            var document = await ResourceCollectionApi.ReadUpdateAsync<SystemResource>(request, type, async () => await grain.Get());
            return request.Document(StatusCodes.Status200OK, await grain.Update(document), type);
        });
        cimi.MapDelete(systems + "/{id}", async (string id, CimiRequest request) =>
        {
            var result = await request.Grain<ISystemGrain>(id).Delete(CimiRequest.NewLocalId());
            return request.Accepted(result.System, result.Job);
        });
        cimi.MapPost(systems + "/{id}", async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<ISystemGrain>(id);
            // Another tenant's (or no) System is a 404 whatever the body says.
            await grain.Get();
            var body = await CimiRequestReader.ReadDocumentAsync(request.Http, "Action");
            if (body["action"] is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var uri) && uri.Trim() == SystemRegistration.Export.Uri)
            {
                // The System's current shape as an OVF envelope, built when its URL is read (Location form only).
                SystemTemplateOvfApi.CheckExport(body);
                request.Http.HttpContext.Response.Headers.Location = request.BaseUri.Absolute($"{type.Kind.IdOf(id)}/{SystemTemplateRegistration.EnvelopeSegment}");
                return Results.Ok();
            }
            var (action, force) = MachineApi.ParseAction(body);
            if (!SystemRegistration.Actions.Contains(action))
                throw CimiRequestException.BadRequest($"'{action.ToString().ToLowerInvariant()}' is not a System action; use start, stop, restart, pause or suspend.");
            var result = await grain.Act(action, force, CimiRequest.NewLocalId());
            return request.Accepted(result.System, result.Job);
        });

        foreach (var collection in SystemMemberCollections.All)
        {
            var segment = $"{systems}/{{id}}/{collection.Segment}";
            cimi.MapGet(segment, async (string id, CimiRequest request) =>
                Collection(request, SystemMemberCollections.CollectionId(type.Kind.IdOf(id), collection.Kind), collection.ItemType,
                    collection.ArrayName, await request.Grain<ISystemGrain>(id).GetMembers(collection.Kind), canAdd: true));
            cimi.MapGet(segment + "/{member}", async (string id, string member, CimiRequest request) =>
                Item(request, await request.Grain<ISystemGrain>(id).GetMembers(collection.Kind),
                    $"{SystemMemberCollections.CollectionId(type.Kind.IdOf(id), collection.Kind)}/{member}", collection.ItemType));
            cimi.MapPost(segment, async (string id, CimiRequest request) =>
            {
                var grain = request.Grain<ISystemGrain>(id);
                await grain.Get();
                var item = await ReadItemAsync(request, collection);
                var reference = collection.Member(item)
                    ?? throw CimiRequestException.BadRequest($"A {collection.ItemType} needs its '{collection.MemberAttribute}' (an href).");
                var added = await grain.AddMember(collection.Kind, reference);
                return Item(request, StatusCodes.Status201Created, added, collection.ItemType)
                    .WithHeader("Location", request.BaseUri.Absolute(added.Id!));
            });
            cimi.MapDelete(segment + "/{member}", async (string id, string member, CimiRequest request) =>
            {
                await request.Grain<ISystemGrain>(id).RemoveMember(collection.Kind, CimiRequest.CheckedLocalId(member));
                return Results.Ok();
            });
        }
        return cimi;
    }

    private static async Task<CimiResource> ReadItemAsync(CimiRequest request, SystemMemberCollections.Collection collection)
    {
        var body = await CimiRequestReader.ReadDocumentAsync(request.Http, collection.ItemType);
        CimiResource Bind<T>() where T : CimiResource =>
            CimiRequestReader.Bind<T>(body, request.BaseUri, CimiTypes.CommonReadOnly, collection.ItemType);
        return collection.Kind switch
        {
            SystemMemberKind.Machine => Bind<SystemMachine>(),
            SystemMemberKind.Volume => Bind<SystemVolume>(),
            SystemMemberKind.Network => Bind<SystemNetwork>(),
            SystemMemberKind.Credential => Bind<SystemCredential>(),
            SystemMemberKind.System => Bind<SystemSystem>(),
            SystemMemberKind.NetworkPort => Bind<SystemNetworkPort>(),
            SystemMemberKind.Address => Bind<SystemAddress>(),
            _ => Bind<SystemForwardingGroup>(),
        };
    }
}
