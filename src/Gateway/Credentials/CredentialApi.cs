using CimiGrains.Credentials;
using CimiGrains.Gateway.Resources;

namespace CimiGrains.Gateway.Credentials;

/// <summary>Credentials and CredentialTemplates. Passwords are accepted, never returned.</summary>
public static class CredentialApi
{
    public static RouteGroupBuilder MapCredentialApi(this RouteGroupBuilder cimi)
    {
        cimi.MapCimiResources<CredentialTemplate, ICredentialTemplateGrain>(CimiTypes.CredentialTemplate);
        cimi.MapPost("/credentialTemplates", async (CimiRequest request) =>
        {
            var document = await ResourceCollectionApi.ReadCreateAsync<CredentialTemplate>(request, "CredentialTemplate");
            var created = await request.Grain<ICredentialTemplateGrain>(CimiRequest.NewLocalId()).Create(document);
            return request.Created(created, CimiTypes.CredentialTemplate);
        });
        cimi.MapCimiResources<Credential, ICredentialGrain>(CimiTypes.Credential);
        cimi.MapPost("/credentials", async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<CredentialCreate>(request, "CredentialCreate");
            var created = await request.Grain<ICredentialGrain>(CimiRequest.NewLocalId()).CreateFrom(create);
            return request.Created(created, CimiTypes.Credential);
        });
        return cimi;
    }
}
