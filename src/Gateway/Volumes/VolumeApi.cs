using System.Text.Json.Nodes;
using CimiGrains.Gateway.Resources;
using CimiGrains.ReadModel;
using CimiGrains.Volumes;

namespace CimiGrains.Gateway.Volumes;

/// <summary>
/// Volumes and their images. VolumeConfigurations and VolumeTemplates are plain types, and VolumeImages'
/// other routes are generated too (Resources/RegisteredTypesApi); a VolumeImage POST may be a capture.
/// Volume create and delete answer 202 with a Job, as a Machine's do.
/// </summary>
public static class VolumeApi
{
    private static CimiType VolumeType => CimiTypes.Of(VolumeRegistration.Type);

    private static CimiType VolumeImageType => CimiTypes.Of(VolumeImageRegistration.Type);

    /// <summary>What a consumer may not write when registering or capturing a VolumeImage: its state is the provider's.</summary>
    private static readonly IReadOnlySet<string> ImageCreateReadOnly =
        new HashSet<string>(CimiTypes.CommonReadOnly.Append("state"), StringComparer.Ordinal);

    public static RouteGroupBuilder MapVolumeApi(this RouteGroupBuilder cimi)
    {
        cimi.MapPost($"/{VolumeImageType.Kind.CollectionSegment}", async (CimiRequest r) =>
        {
            var image = await ReadImageAsync(r);
            return await TryCaptureAsync(r, image)
                ?? r.Created(await r.Grain<IVolumeImageGrain>(CimiRequest.NewLocalId()).Create(image), VolumeImageType);
        });

        var type = VolumeType;
        var volumes = $"/{type.Kind.CollectionSegment}";
        cimi.MapGet(volumes, (CimiRequest request, IResourceReader readModel, CancellationToken ct) =>
            ResourceCollectionApi.ListAsync(request, readModel, type, ct));
        cimi.MapGet(volumes + "/{id}", async (string id, CimiRequest request) =>
            request.Document(StatusCodes.Status200OK, await request.Grain<IVolumeGrain>(id).Get(), type));
        // The Volume's images (VolumeVolumeImageCollection): read-only, since a capture is a VolumeImage POST.
        cimi.MapGet(volumes + "/{id}/" + VolumeRegistration.ImagesSegment, async (string id, CimiRequest request) =>
            SubCollectionResults.Collection(request, VolumeRegistration.ImagesOf(type.Kind.IdOf(id)), "VolumeVolumeImage", "volumeVolumeImages",
                await request.Grain<IVolumeGrain>(id).GetImages(), canAdd: false));
        cimi.MapGet(volumes + "/{id}/" + VolumeRegistration.ImagesSegment + "/{image}", async (string id, string image, CimiRequest request) =>
            SubCollectionResults.Item(request, await request.Grain<IVolumeGrain>(id).GetImages(),
                $"{VolumeRegistration.ImagesOf(type.Kind.IdOf(id))}/{image}", "VolumeVolumeImage"));
        cimi.MapPost(volumes, async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<VolumeCreate>(request, "VolumeCreate");
            var result = await request.Grain<IVolumeGrain>(CimiRequest.NewLocalId()).Create(create, CimiRequest.NewLocalId());
            return request.Accepted(result.Volume, result.Job);
        });
        cimi.MapPut(volumes + "/{id}", async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<IVolumeGrain>(id);
            var document = await ResourceCollectionApi.ReadUpdateAsync<Volume>(request, type, async () => await grain.Get());
            return request.Document(StatusCodes.Status200OK, await grain.Update(document), type);
        });
        cimi.MapDelete(volumes + "/{id}", async (string id, CimiRequest request) =>
        {
            var result = await request.Grain<IVolumeGrain>(id).Delete(CimiRequest.NewLocalId());
            return request.Accepted(result.Volume, result.Job);
        });
        return cimi;
    }

    /// <summary>A VolumeImage body, with <c>imageLocation</c> as text or as an href (<c>{"href": …}</c>, <c>&lt;imageLocation href="…"/&gt;</c>).</summary>
    private static async Task<VolumeImage> ReadImageAsync(CimiRequest request)
    {
        var body = await CimiRequestReader.ReadDocumentAsync(request.Http, VolumeImageType.TypeName);
        // An href here names a Volume to capture (or is a location's text): taken as text before hrefs are checked.
        if (body["imageLocation"] is JsonObject { Count: 1 } location && location["href"] is JsonValue href && href.TryGetValue<string>(out var text))
            body["imageLocation"] = text;
        return CimiRequestReader.Bind<VolumeImage>(body, request.BaseUri, ImageCreateReadOnly, VolumeImageType.TypeName);
    }

    /// <summary>202 with the capture's Job when the image's location is a Volume's id (absolute or relative), else null.</summary>
    private static async Task<CimiResult?> TryCaptureAsync(CimiRequest request, VolumeImage image)
    {
        if (image.ImageLocation is not { } location) return null;
        var volumeLocalId = VolumeRegistration.Type.Kind.LocalIdOf(request.BaseUri.Relative(location));
        if (volumeLocalId is null) return null;
        var result = await request.Grain<IVolumeGrain>(volumeLocalId).Capture(image with { ImageLocation = null }, CimiRequest.NewLocalId(), CimiRequest.NewLocalId());
        return request.Accepted(result.Image, result.Job);
    }
}
