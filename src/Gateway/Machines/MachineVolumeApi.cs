using CimiGrains.Gateway.Resources;
using static CimiGrains.Gateway.Resources.SubCollectionResults;
using CimiGrains.Machines;
using CimiGrains.Volumes;

namespace CimiGrains.Gateway.Machines;

/// <summary>
/// A Machine's two sub-collections (DSP0263 1.x): <c>machines/{id}/disks</c> (DiskCollection, the disks its
/// configuration gave it; read-only) and <c>machines/{id}/volumes</c> (MachineVolumeCollection: POST a
/// MachineVolume to attach a Volume, DELETE one to detach it, each answered 202 with a Job). The Machine is
/// the caller's tenant's like every Machine route (another tenant's id is 404), and so is the Volume a
/// MachineVolume names.
/// </summary>
public static class MachineVolumeApi
{
    private const string DiskCollectionArray = "disks", MachineVolumeCollectionArray = "machineVolumes";

    public static RouteGroupBuilder MapMachineVolumeApi(this RouteGroupBuilder cimi)
    {
        var machine = $"/{ResourceKind.Machine.CollectionSegment}/{{id}}";
        var disks = $"{machine}/{MachineVolumes.DisksSegment}";
        var volumes = $"{machine}/{MachineVolumes.VolumesSegment}";

        cimi.MapGet(disks, async (string id, CimiRequest request) =>
        {
            var items = await request.Grain<IMachineGrain>(id).GetDisks();
            return Collection(request, MachineVolumes.DisksOf(MachineId(id)), "Disk", DiskCollectionArray, items, canAdd: false);
        });
        cimi.MapGet(disks + "/{disk}", async (string id, string disk, CimiRequest request) =>
        {
            var items = await request.Grain<IMachineGrain>(id).GetDisks();
            return Item(request, items, $"{MachineVolumes.DisksOf(MachineId(id))}/{disk}", "Disk");
        });
        cimi.MapGet(volumes, async (string id, CimiRequest request) =>
        {
            var items = await request.Grain<IMachineGrain>(id).GetVolumes();
            return Collection(request, MachineVolumes.VolumesOf(MachineId(id)), "MachineVolume", MachineVolumeCollectionArray, items, canAdd: true);
        });
        cimi.MapGet(volumes + "/{volume}", async (string id, string volume, CimiRequest request) =>
        {
            var items = await request.Grain<IMachineGrain>(id).GetVolumes();
            return Item(request, items, MachineVolumes.MachineVolumeId(MachineId(id), volume), "MachineVolume");
        });
        cimi.MapPost(volumes, async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<IMachineGrain>(id);
            var body = await ResourceCollectionApi.ReadCreateAsync<MachineVolume>(request, "MachineVolume");
            var result = await grain.AttachVolume(body, CimiRequest.NewLocalId());
            return Accepted(request, result);
        });
        cimi.MapDelete(volumes + "/{volume}", async (string id, string volume, CimiRequest request) =>
        {
            var grain = request.Grain<IMachineGrain>(id);
            var result = await grain.DetachVolume(CimiRequest.CheckedLocalId(volume), CimiRequest.NewLocalId());
            return Accepted(request, result);
        });
        return cimi;
    }

    /// <summary>The Machine's relative id (the route's id is checked by <see cref="CimiRequest.Grain{TGrain}"/> first).</summary>
    private static string MachineId(string localId) => ResourceKind.Machine.IdOf(localId);

    /// <summary>202 as for every operation that goes on (see <see cref="CimiRequest.Accepted"/>): the MachineVolume as it
    /// is now, <c>Location</c> naming it and <c>CIMI-Job-URI</c> its Job.</summary>
    private static CimiResult Accepted(CimiRequest request, MachineVolumeOperationResult result) =>
        Item(request, StatusCodes.Status202Accepted, result.MachineVolume, "MachineVolume")
            .WithHeader("Location", request.BaseUri.Absolute(result.MachineVolume.Id!))
            .WithHeader(CimiHeaders.JobUri, request.BaseUri.Absolute(result.Job.Id!));
}
