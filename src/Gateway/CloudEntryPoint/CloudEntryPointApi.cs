using System.Text.Json.Nodes;
using CimiGrains.Gateway.ResourceMetadata;
using CimiGrains.Gateway.Resources;
using CimiGrains.ReadModel;
using CimiGrains.Tenancy;

namespace CimiGrains.Gateway.CloudEntryPoint;

/// <summary>The one well-known URL: links to every collection this provider implements and to its ResourceMetadata.</summary>
public static class CloudEntryPointApi
{
    public const string Path = "cloudEntryPoint";

    public static RouteGroupBuilder MapCloudEntryPointApi(this RouteGroupBuilder cimi)
    {
        cimi.MapGet($"/{Path}", async (CimiRequest request, ITenantDirectory tenants, IResourceReader readModel, CancellationToken ct) =>
        {
            var tenant = await tenants.GetTenantAsync(request.TenantId, ct);
            var entryPoint = Build(request.TenantId, tenant?.Created, request.BaseUri.Value);
            var document = CimiDocuments.FromRecord(entryPoint, CimiDescriptors.For<CloudEntryPointResource>(), request.BaseUri);
            await ExpandCollectionsAsync(document, request, readModel, ct);
            return new CimiResult(StatusCodes.Status200OK, document, "CloudEntryPoint");
        });
        return cimi;
    }

    /// <summary>
    /// <c>$expand</c> on the entry point inlines the named collections (<c>*</c>: all of them) as
    /// DSP8009's <c>XxxCollRef</c> allows: the reference keeps its href and gains the collection's
    /// id, count and first page of items (operations stay on the collection itself). The generic
    /// projection, which runs next, resolves resource references only, so it leaves these alone and
    /// still answers 400 for a name that is not a reference. A deeper path (<c>machines/machineConfig</c>)
    /// gets 400 rather than being silently cut short: that expansion belongs to the collection's own URL.
    /// </summary>
    private static async Task ExpandCollectionsAsync(JsonObject document, CimiRequest request, IResourceReader readModel, CancellationToken ct)
    {
        var paths = request.Http.Query["$expand"]
            .SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        if (paths.Count == 0) return;
        if (paths.FirstOrDefault(p => p.Contains('/', StringComparison.Ordinal)) is { } nested)
        {
            var slash = nested.IndexOf('/', StringComparison.Ordinal);
            throw CimiRequestException.BadRequest($"$expand '{nested}': the CloudEntryPoint inlines whole collections; " +
                $"expand inside their items on the collection itself ({nested[..slash]}?$expand={nested[(slash + 1)..]}).");
        }
        var requested = paths.ToHashSet(StringComparer.Ordinal);
        var baseUri = request.BaseUri;
        foreach (var (name, value) in document.ToList())
        {
            if (!(requested.Contains("*") || requested.Contains(name)) || value is not JsonObject reference
                || reference["href"]?.GetValue<string>() is not { } href || baseUri.Relative(href) is not { } segment)
                continue;
            JsonObject collection;
            if (segment == ResourceMetadataApi.Path)
            {
                collection = ResourceMetadataApi.Collection(new CollectionQuery(1, CollectionQuery.MaxPage, null, []), request);
            }
            // EventLogs and Events are rows of the journal, not of the read model: they stay references here.
            else if (CimiTypes.ForSegment(segment) is { } type
                && type.Kind.CollectionSegment is not (CimiGrains.Events.EventLogIds.Segment or CimiGrains.Events.EventLogIds.EventSegment))
            {
                var page = await readModel.QueryAsync(request.TenantId, type.Kind, ResourceQuery.Page(1, CollectionQuery.MaxPage), ct);
                collection = StoredCollectionResult.Document(type, baseUri, page, canAdd: false);
            }
            else
            {
                continue;
            }
            var expanded = new JsonObject { ["href"] = href };
            foreach (var (key, item) in collection.ToList())
            {
                collection.Remove(key);
                expanded[key] = item;
            }
            document[name] = expanded;
        }
    }

    /// <summary>The entry point of a tenant, with relative hrefs (made absolute when rendered).</summary>
    public static CloudEntryPointResource Build(string tenantId, DateTimeOffset? tenantCreated, string baseUri)
    {
        return new CloudEntryPointResource
        {
            Id = Path,
            Name = "CimiGrains",
            Description = $"CimiGrains cloud entry point for tenant '{tenantId}'.",
            // The entry point of a tenant exists since the tenant does; it changes only with releases.
            Created = tenantCreated,
            Updated = tenantCreated,
            BaseUri = baseUri,
            ResourceMetadata = new ResourceRef(ResourceMetadataApi.Path),
            Collections = CimiTypes.All.ToDictionary(t => t.EntryPointAttribute, t => (object)new ResourceRef(t.Kind.CollectionSegment), StringComparer.Ordinal),
        };
    }
}
