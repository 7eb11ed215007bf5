using CimiGrains.Gateway.Security;
using CimiGrains.Grains.Images;
using CimiGrains.Hosts;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;

namespace CimiGrains.Gateway.Images;

/// <summary>
/// Operator endpoints (role <c>admin</c>) of the cluster image store: register an image from a file (the
/// request body, streamed into the store and checked as it goes), list the stored images, and remove a
/// registered one. A registered image is a public image: every tenant may name its location.
/// </summary>
public static class ImageAdminApi
{
    public static IEndpointRouteBuilder MapImageAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/images").RequireAuthorization(CimiClaims.AdminPolicy);
        admin.MapPost("", async (HttpContext http, string? location, ImageStoreDatabase store, ImageStoreOptions options, CancellationToken ct) =>
        {
            if (!(Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type)
                && type.MediaType.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase)))
                throw new CimiRequestException(StatusCodes.Status415UnsupportedMediaType,
                    "An image file is sent as the body with Content-Type: application/octet-stream.");
            var target = Target(location);
            if (http.Request.ContentLength is { } length && length > options.MaxImageBytes)
                return Results.Extensions.Error(StatusCodes.Status413PayloadTooLarge,
                    $"The image is {length} bytes; the store takes at most {options.MaxImageBytes} (CIMI_IMAGE_MAX_BYTES).");
            // The CIMI body limit is for documents; an image file has its own.
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.MaxImageBytes;
            var canonical = target.ToString();
            if (await store.GetAsync(canonical, ct) is not null)
                return Results.Extensions.Error(StatusCodes.Status409Conflict,
                    $"An image is already stored at '{canonical}': DELETE /admin/images?location={canonical} first (hosts holding a copy would otherwise keep the old one).");
            StoredImage stored;
            try
            {
                await using var upload = await store.BeginUploadAsync(canonical, options.MaxImageBytes, ct);
                var format = await ImageFileFormats.CopyCheckedAsync(http.Request.Body, upload, target.Driver, ct);
                stored = await upload.CompleteAsync(target.Driver, StoredImage.RegisteredKind, format, null, null, ct);
            }
            catch (ImageTooLargeException e)
            {
                return Results.Extensions.Error(StatusCodes.Status413PayloadTooLarge, e.Message);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Results.Extensions.Error(StatusCodes.Status413PayloadTooLarge,
                    $"The image is larger than the store's limit of {options.MaxImageBytes} bytes (CIMI_IMAGE_MAX_BYTES).");
            }
            return Results.Created($"/admin/images?location={Uri.EscapeDataString(canonical)}", Describe(stored));
        });
        admin.MapGet("", async (ImageStoreDatabase store, CancellationToken ct) =>
            Results.Ok(new { images = (await store.ListAsync(ct)).Select(Describe).ToList() }));
        admin.MapDelete("", async (string? location, ImageStoreDatabase store, IGrainFactory grains, CancellationToken ct) =>
        {
            var target = Target(location);
            var canonical = target.ToString();
            var image = await store.GetAsync(canonical, ct);
            if (image is null || image.Kind != StoredImage.RegisteredKind)
                return Results.Extensions.Error(StatusCodes.Status404NotFound, $"No operator-registered image is stored at '{canonical}'.");
            // Refused rather than breaking them: a MachineImage naming it would fail every later create.
            var naming = target.IsVolume ? "VolumeImage" : "MachineImage";
            var users = await store.ResourcesNamingAsync(naming, null, Spellings(canonical), ct);
            if (users.Count > 0)
                return Results.Extensions.Error(StatusCodes.Status409Conflict,
                    $"{naming}s still name '{canonical}' ({string.Join(", ", users.Select(u => u.Replace(' ', ':')))}); delete them first.");
            // Each host's removal is durable in its host grain before the bytes go (a crash in between is
            // repaired by repeating the DELETE); hosts keep a copy a Machine still runs from until it goes.
            foreach (var host in await store.HoldersAsync(canonical, ct)) await grains.GetGrain<IHostGrain>(host).RemoveImage(canonical);
            await store.DeleteAsync(canonical, StoredImage.RegisteredKind, null, ct);
            return Results.NoContent();
        });
        return app;
    }

    private static object Describe(StoredImage i) => new
    {
        location = i.Location, driver = i.Driver, kind = i.Kind, format = i.Format, sha256 = i.Sha256, size = i.SizeBytes,
        owner = i.OwnerTenant, created = i.Created,
    };

    private static ImageLocation Target(string? location)
    {
        if (string.IsNullOrWhiteSpace(location))
            throw CimiRequestException.BadRequest("Name the image's location in the query: ?location=docker:REPOSITORY:TAG, ?location=qemu:PATH or ?location=volume:NAME.");
        if (!ImageLocation.TryParseStored(location, out var parsed, out var problem)) throw CimiRequestException.BadRequest(problem!);
        if (parsed!.CapturedImageLocalId is not null || parsed.Reference.StartsWith(ImageLocation.CaptureRepository, StringComparison.Ordinal))
            throw CimiRequestException.BadRequest($"'{location}' lies under {ImageLocation.CaptureRepository}, which is reserved for tenants' captures.");
        return parsed;
    }

    private static IReadOnlyList<string> Spellings(string canonical) =>
        canonical.StartsWith(ImageLocation.SchemelessDriver + ":", StringComparison.Ordinal)
            ? [canonical, canonical[(ImageLocation.SchemelessDriver.Length + 1)..]]
            : [canonical];
}
