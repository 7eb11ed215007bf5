using System.Text.Json.Nodes;
using CimiGrains.Gateway.Resources;
using CimiGrains.ReadModel;
using CimiGrains.Machines;

namespace CimiGrains.Gateway.Machines;

/// <summary>Machines, their templates, configurations and images.</summary>
public static class MachineApi
{
    public static RouteGroupBuilder MapMachineApi(this RouteGroupBuilder cimi)
    {
        // MachineConfigurations and MachineTemplates are plain types, and MachineImages' other routes
        // are generated too (Resources/RegisteredTypesApi); a MachineImage POST may be a capture.
        cimi.MapPost($"/{CimiTypes.MachineImage.Kind.CollectionSegment}", async (CimiRequest r) =>
        {
            var image = await Agents.MachineCaptureApi.ReadCreateAsync(r);
            // An imageLocation naming a Machine is a capture of that Machine (see Agents/MachineCaptureApi).
            return await Agents.MachineCaptureApi.TryCaptureAsync(r, image)
                ?? r.Created(await r.Grain<IMachineImageGrain>(CimiRequest.NewLocalId()).Create(image), CimiTypes.MachineImage);
        });

        var type = CimiTypes.Machine;
        var machines = $"/{type.Kind.CollectionSegment}";
        cimi.MapGet(machines, (CimiRequest request, IResourceReader readModel, CancellationToken ct) =>
            ResourceCollectionApi.ListAsync(request, readModel, type, ct));
        cimi.MapGet(machines + "/{id}", async (string id, CimiRequest request) =>
            request.Document(StatusCodes.Status200OK, await request.Grain<IMachineGrain>(id).Get(), type));
        cimi.MapPost(machines, async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<MachineCreate>(request, "MachineCreate");
            var id = CimiRequest.NewLocalId();
            var result = await request.Grain<IMachineGrain>(id).Create(create, CimiRequest.NewLocalId());
            return request.Accepted(result.Machine, result.Job);
        });
        cimi.MapPut(machines + "/{id}", async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<IMachineGrain>(id);
            var document = await ResourceCollectionApi.ReadUpdateAsync<Machine>(request, type, async () => await grain.Get());
            return request.Document(StatusCodes.Status200OK, await grain.Update(document), type);
        });
        cimi.MapDelete(machines + "/{id}", async (string id, CimiRequest request) =>
        {
            var result = await request.Grain<IMachineGrain>(id).Delete(CimiRequest.NewLocalId());
            return request.Accepted(result.Machine, result.Job);
        });
        cimi.MapPost(machines + "/{id}", async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<IMachineGrain>(id);
            var body = await CimiRequestReader.ReadDocumentAsync(request.Http, "Action");
            var (action, force) = ParseAction(body);
            var result = await grain.Act(action, force, CimiRequest.NewLocalId());
            return request.Accepted(result.Machine, result.Job);
        });
        // Its disks and volumes sub-collections, and attaching and detaching Volumes.
        cimi.MapMachineVolumeApi();
        cimi.MapMachineNetworkInterfaceApi();
        return cimi;
    }

    /// <summary>
    /// An Action document: <c>action</c> is the action URI (a bare name such as <c>start</c> is taken
    /// too), <c>force</c> an optional boolean; other parameters are not defined for Machines.
    /// </summary>
    public static (MachineAction Action, bool Force) ParseAction(JsonObject body)
    {
        body.Remove("resourceURI");
        body.Remove("properties");
        if (!body.TryGetPropertyValue("action", out var actionNode) || actionNode is not JsonValue v || !v.TryGetValue<string>(out var uri))
            throw CimiRequestException.BadRequest("An Action needs an 'action' URI such as http://schemas.dmtf.org/cimi/1/action/start.");
        var name = uri.Trim();
        if (name.StartsWith(CimiUris.ActionPrefix, StringComparison.OrdinalIgnoreCase)) name = name[CimiUris.ActionPrefix.Length..];
        if (!Enum.TryParse<MachineAction>(name, ignoreCase: true, out var action) || !name.All(char.IsAsciiLetter))
            throw CimiRequestException.BadRequest(
                $"'{uri}' is not a Machine action; use …/action/start, stop, restart, pause, suspend (capture is a MachineImage POST).");
        var force = false;
        if (body.TryGetPropertyValue("force", out var forceNode) && forceNode is not null)
        {
            force = forceNode is JsonValue f && f.TryGetValue<bool>(out var b)
                ? b
                : forceNode is JsonValue fs && fs.TryGetValue<string>(out var s) && bool.TryParse(s.Trim(), out var parsed)
                    ? parsed
                    : throw CimiRequestException.BadRequest("'force' must be true or false.");
        }
        foreach (var key in body.Select(p => p.Key))
        {
            if (key is not ("action" or "force"))
                throw CimiRequestException.BadRequest($"'{key}' is not a parameter of the '{name}' action.");
        }
        return (action, force);
    }
}
