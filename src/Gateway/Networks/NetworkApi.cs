using System.Text.Json.Nodes;
using CimiGrains.Gateway.Resources;
using CimiGrains.Networks;
using CimiGrains.ReadModel;

namespace CimiGrains.Gateway.Networks;

/// <summary>
/// The Network family. Configurations and templates are plain types, and Addresses', NetworkPorts' and ForwardingGroups' other routes are
/// generated too (Resources/RegisteredTypesApi); their POSTs take a Create document. A Network's create, start, stop
/// and delete are done when answered (its state is its grain's own; no host realizes it alone), so they answer
/// 201 or 200 with the Network, not a Job. A Network's ports are its sub-collection <c>networks/{id}/networkPorts</c>.
/// </summary>
public static class NetworkApi
{
    private static CimiType NetworkType => CimiTypes.Of(NetworkRegistration.Type);

    public static RouteGroupBuilder MapNetworkApi(this RouteGroupBuilder cimi)
    {
        var type = NetworkType;
        var networks = $"/{type.Kind.CollectionSegment}";
        cimi.MapGet(networks, (CimiRequest request, IResourceReader readModel, CancellationToken ct) =>
            ResourceCollectionApi.ListAsync(request, readModel, type, ct));
        cimi.MapGet(networks + "/{id}", async (string id, CimiRequest request) =>
            request.Document(StatusCodes.Status200OK, await request.Grain<INetworkGrain>(id).Get(), type));
        cimi.MapPost(networks, async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<NetworkCreate>(request, "NetworkCreate");
            return request.Created(await request.Grain<INetworkGrain>(CimiRequest.NewLocalId()).Create(create), type);
        });
        cimi.MapPut(networks + "/{id}", async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<INetworkGrain>(id);
            var document = await ResourceCollectionApi.ReadUpdateAsync<Network>(request, type, async () => await grain.Get());
            return request.Document(StatusCodes.Status200OK, await grain.Update(document), type);
        });
        cimi.MapDelete(networks + "/{id}", async (string id, CimiRequest request) =>
        {
            await request.Grain<INetworkGrain>(id).Delete();
            return Results.Ok();
        });
        cimi.MapPost(networks + "/{id}", async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<INetworkGrain>(id);
            // Another tenant's (or no) Network is a 404 whatever the body says.
            await grain.Get();
            var body = await CimiRequestReader.ReadDocumentAsync(request.Http, "Action");
            var network = ParseAction(body) switch
            {
                "start" => await grain.Start(),
                _ => await grain.Stop(),
            };
            return request.Document(StatusCodes.Status200OK, network, type);
        });
        cimi.MapGet(networks + "/{id}/networkPorts", async (string id, CimiRequest request) =>
        {
            var portIds = await request.Grain<INetworkGrain>(id).GetPortIds();
            var ports = new List<NetworkPort>();
            foreach (var portId in portIds)
            {
                // A port the Network counts whose own resource is not written yet (a lease being made) is left out.
                if (await request.Grain<INetworkPortGrain>(portId).GetInternal() is not null)
                    ports.Add(await request.Grain<INetworkPortGrain>(portId).Get());
            }
            return PortCollection(request, NetworkRegistration.Type.Kind.IdOf(id), ports);
        });

        var addresses = CimiTypes.Of(AddressRegistration.Type);
        cimi.MapPost($"/{addresses.Kind.CollectionSegment}", async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<AddressCreate>(request, "AddressCreate");
            return request.Created(await request.Grain<IAddressGrain>(CimiRequest.NewLocalId()).Create(create), addresses);
        });
        var ports = CimiTypes.Of(NetworkPortRegistration.Type);
        cimi.MapPost($"/{ports.Kind.CollectionSegment}", async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<NetworkPortCreate>(request, "NetworkPortCreate");
            return request.Created(await request.Grain<INetworkPortGrain>(CimiRequest.NewLocalId()).Create(create), ports);
        });
        var groups = CimiTypes.Of(ForwardingGroupRegistration.Type);
        cimi.MapPost($"/{groups.Kind.CollectionSegment}", async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<ForwardingGroupCreate>(request, "ForwardingGroupCreate");
            return request.Created(await request.Grain<IForwardingGroupGrain>(CimiRequest.NewLocalId()).Create(create), groups);
        });
        return cimi;
    }

    /// <summary>A Network's Action: <c>start</c> or <c>stop</c> (the URI, or the bare name), and no parameter.</summary>
    private static string ParseAction(JsonObject body)
    {
        body.Remove("resourceURI");
        body.Remove("properties");
        if (!body.TryGetPropertyValue("action", out var actionNode) || actionNode is not JsonValue v || !v.TryGetValue<string>(out var uri))
            throw CimiRequestException.BadRequest("An Action needs an 'action' URI: http://schemas.dmtf.org/cimi/1/action/start or …/stop.");
        var name = uri.Trim();
        if (name.StartsWith(CimiUris.ActionPrefix, StringComparison.OrdinalIgnoreCase)) name = name[CimiUris.ActionPrefix.Length..];
        if (name is not ("start" or "stop"))
            throw CimiRequestException.BadRequest($"'{uri}' is not a Network action; use …/action/start or …/action/stop.");
        if (body.Select(p => p.Key).FirstOrDefault(k => k != "action") is { } other)
            throw CimiRequestException.BadRequest($"'{other}' is not a parameter of the '{name}' action.");
        return name;
    }

    private static CimiResult PortCollection(CimiRequest request, string networkId, IReadOnlyList<NetworkPort> ports)
    {
        var type = CimiTypes.Of(NetworkPortRegistration.Type);
        var descriptor = CimiDescriptors.For(type.ClrType);
        var documents = ports.Select(p => CimiDocuments.FromRecord(p, descriptor, request.BaseUri)).ToList();
        JsonObject document = CimiDocuments.Collection(type.CollectionTypeUri, request.BaseUri.Absolute($"{networkId}/networkPorts"),
            type.CollectionArray, documents.Count, documents, canAdd: false);
        return new CimiResult(StatusCodes.Status200OK, document, type.TypeName, isCollection: true);
    }
}
