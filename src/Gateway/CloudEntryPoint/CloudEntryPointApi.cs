using System.Text.Json.Nodes;
using CimiGrains.Grains.Tenants;

namespace CimiGrains.Gateway.CloudEntryPoint;

/// <summary>The one well-known URL: links to every collection this provider implements.</summary>
public static class CloudEntryPointApi
{
    public const string Path = "cloudEntryPoint";

    public static RouteGroupBuilder MapCloudEntryPointApi(this RouteGroupBuilder cimi)
    {
        cimi.MapGet($"/{Path}", async (CimiRequest request, TenantDirectory tenants, CancellationToken ct) =>
        {
            var baseUri = request.BaseUri;
            var tenant = await tenants.GetTenantAsync(request.TenantId, ct);
            var doc = new JsonObject
            {
                ["resourceURI"] = CimiUris.TypeUri("CloudEntryPoint"),
                ["id"] = baseUri.Absolute(Path),
                ["name"] = "CimiGrains",
                ["description"] = $"CimiGrains cloud entry point for tenant '{request.TenantId}'.",
                // The entry point of a tenant exists since the tenant does; it changes only with releases.
                ["created"] = tenant?.Created,
                ["updated"] = tenant?.Created,
                ["baseURI"] = baseUri.Value,
            };
            foreach (var type in CimiTypes.All)
                doc[type.EntryPointAttribute] = new JsonObject { ["href"] = baseUri.Absolute(type.Kind.CollectionSegment) };
            return new CimiResult(StatusCodes.Status200OK, doc, "CloudEntryPoint");
        });
        return cimi;
    }
}
