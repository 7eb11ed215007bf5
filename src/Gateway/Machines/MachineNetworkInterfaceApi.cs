using System.Text.Json.Nodes;
using CimiGrains.Gateway.Resources;
using CimiGrains.Machines;

namespace CimiGrains.Gateway.Machines;

/// <summary>
/// A Machine's <c>machines/{id}/networkInterfaces</c> (DSP0263 1.x MachineNetworkInterfaceCollection: POST a
/// MachineNetworkInterface to attach the Machine to a Network, DELETE one to detach it, each answered 202 with a Job)
/// and each interface's <c>addresses</c> (MachineNetworkInterfaceAddressCollection, read-only: the Network leased
/// them). The Machine is the caller's tenant's like every Machine route (another tenant's id is 404), and so is the
/// Network a MachineNetworkInterface names.
/// </summary>
public static class MachineNetworkInterfaceApi
{
    private const string InterfaceArray = "machineNetworkInterfaces", AddressArray = "machineNetworkInterfaceAddresses";

    public static RouteGroupBuilder MapMachineNetworkInterfaceApi(this RouteGroupBuilder cimi)
    {
        var interfaces = $"/{ResourceKind.Machine.CollectionSegment}/{{id}}/{MachineNetworkInterfaces.Segment}";
        var addresses = $"{interfaces}/{{nic}}/{MachineNetworkInterfaces.AddressesSegment}";

        cimi.MapGet(interfaces, async (string id, CimiRequest request) =>
        {
            var items = await request.Grain<IMachineGrain>(id).GetNetworkInterfaces();
            return Collection(request, MachineNetworkInterfaces.Of(MachineId(id)), "MachineNetworkInterface", InterfaceArray, items, canAdd: true);
        });
        cimi.MapGet(interfaces + "/{nic}", async (string id, string nic, CimiRequest request) =>
        {
            var items = await request.Grain<IMachineGrain>(id).GetNetworkInterfaces();
            var wanted = MachineNetworkInterfaces.InterfaceId(MachineId(id), nic);
            var item = items.FirstOrDefault(n => n.Id == wanted) ?? throw CimiException.NotFound($"MachineNetworkInterface '{wanted}'");
            return Item(request, StatusCodes.Status200OK, item, "MachineNetworkInterface");
        });
        cimi.MapGet(addresses, async (string id, string nic, CimiRequest request) =>
        {
            var items = await request.Grain<IMachineGrain>(id).GetNetworkInterfaceAddresses(CimiRequest.CheckedLocalId(nic));
            return Collection(request, MachineNetworkInterfaces.AddressesOf(MachineId(id), nic), "MachineNetworkInterfaceAddress", AddressArray, items, canAdd: false);
        });
        cimi.MapGet(addresses + "/{address}", async (string id, string nic, string address, CimiRequest request) =>
        {
            var items = await request.Grain<IMachineGrain>(id).GetNetworkInterfaceAddresses(CimiRequest.CheckedLocalId(nic));
            var wanted = $"{MachineNetworkInterfaces.AddressesOf(MachineId(id), nic)}/{address}";
            var item = items.FirstOrDefault(a => a.Id == wanted) ?? throw CimiException.NotFound($"MachineNetworkInterfaceAddress '{wanted}'");
            return Item(request, StatusCodes.Status200OK, item, "MachineNetworkInterfaceAddress");
        });
        cimi.MapPost(interfaces, async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<IMachineGrain>(id);
            var body = await ResourceCollectionApi.ReadCreateAsync<MachineNetworkInterface>(request, "MachineNetworkInterface");
            var result = await grain.AttachNetworkInterface(body, CimiRequest.NewLocalId());
            return Accepted(request, result);
        });
        cimi.MapDelete(interfaces + "/{nic}", async (string id, string nic, CimiRequest request) =>
        {
            var grain = request.Grain<IMachineGrain>(id);
            var result = await grain.DetachNetworkInterface(CimiRequest.CheckedLocalId(nic), CimiRequest.NewLocalId());
            return Accepted(request, result);
        });
        return cimi;
    }

    /// <summary>The Machine's relative id (the route's id is checked by <see cref="CimiRequest.Grain{TGrain}"/> first).</summary>
    private static string MachineId(string localId) => ResourceKind.Machine.IdOf(localId);

    private static CimiResult Item(CimiRequest request, int status, CimiResource item, string typeName) =>
        new(status, CimiDocuments.FromRecord(item, CimiDescriptors.ByTypeName(typeName)!, request.BaseUri), typeName);

    private static CimiResult Collection(CimiRequest request, string collectionId, string typeName, string arrayName,
        IEnumerable<CimiResource> items, bool canAdd)
    {
        var descriptor = CimiDescriptors.ByTypeName(typeName)!;
        var documents = items.Select(i => CimiDocuments.FromRecord(i, descriptor, request.BaseUri)).ToList();
        JsonObject document = CimiDocuments.Collection(CimiUris.TypeUri(typeName + "Collection"), request.BaseUri.Absolute(collectionId),
            arrayName, documents.Count, documents, canAdd);
        return new CimiResult(StatusCodes.Status200OK, document, typeName, isCollection: true);
    }

    /// <summary>202 as for every operation that goes on: the MachineNetworkInterface as it is now, <c>Location</c>
    /// naming it and <c>CIMI-Job-URI</c> its Job.</summary>
    private static CimiResult Accepted(CimiRequest request, MachineNetworkInterfaceOperationResult result) =>
        Item(request, StatusCodes.Status202Accepted, result.MachineNetworkInterface, "MachineNetworkInterface")
            .WithHeader("Location", request.BaseUri.Absolute(result.MachineNetworkInterface.Id!))
            .WithHeader(CimiHeaders.JobUri, request.BaseUri.Absolute(result.Job.Id!));
}
