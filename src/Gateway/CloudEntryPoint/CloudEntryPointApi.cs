using CimiGrains.Gateway.ResourceMetadata;
using CimiGrains.Grains.Tenants;

namespace CimiGrains.Gateway.CloudEntryPoint;

/// <summary>The one well-known URL: links to every collection this provider implements and to its ResourceMetadata.</summary>
public static class CloudEntryPointApi
{
    public const string Path = "cloudEntryPoint";

    public static RouteGroupBuilder MapCloudEntryPointApi(this RouteGroupBuilder cimi)
    {
        cimi.MapGet($"/{Path}", async (CimiRequest request, TenantDirectory tenants, CancellationToken ct) =>
        {
            var tenant = await tenants.GetTenantAsync(request.TenantId, ct);
            var document = Build(request.TenantId, tenant?.Created, request.BaseUri.Value);
            return new CimiResult(StatusCodes.Status200OK,
                CimiDocuments.FromRecord(document, CimiDescriptors.For<CloudEntryPointResource>(), request.BaseUri), "CloudEntryPoint");
        });
        return cimi;
    }

    /// <summary>The entry point of a tenant, with relative hrefs (made absolute when rendered).</summary>
    public static CloudEntryPointResource Build(string tenantId, DateTimeOffset? tenantCreated, string baseUri)
    {
        ResourceRef Link(CimiType type) => new(type.Kind.CollectionSegment);
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
            Machines = Link(CimiTypes.Machine),
            MachineTemplates = Link(CimiTypes.MachineTemplate),
            MachineConfigs = Link(CimiTypes.MachineConfiguration),
            MachineImages = Link(CimiTypes.MachineImage),
            Credentials = Link(CimiTypes.Credential),
            CredentialTemplates = Link(CimiTypes.CredentialTemplate),
            Jobs = Link(CimiTypes.Job),
        };
    }
}
