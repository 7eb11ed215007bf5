using CimiGrains.Credentials;
using CimiGrains.Gateway.Resources;

namespace CimiGrains.Gateway.Credentials;

/// <summary>
/// Credentials are created from a CredentialCreate (a template by reference or by value); every other
/// Credential and CredentialTemplate route is generated from their registrations. Passwords are
/// accepted, never returned.
/// </summary>
public static class CredentialApi
{
    public static RouteGroupBuilder MapCredentialApi(this RouteGroupBuilder cimi)
    {
        var type = CimiTypes.Credential;
        cimi.MapPost($"/{type.Kind.CollectionSegment}", async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<CredentialCreate>(request, "CredentialCreate");
            var created = await request.Grain<ICredentialGrain>(CimiRequest.NewLocalId()).CreateFrom(create);
            return request.Created(created, type);
        });
        return cimi;
    }
}
