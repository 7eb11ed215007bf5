using CimiGrains.Credentials;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;

namespace CimiGrains.Grains.Credentials;

public sealed class CredentialGrain(
    [PersistentState("credential", "cimi")] IPersistentState<ResourceState<Credential>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<Credential>(state, readModel, ResourceKind.Credential), ICredentialGrain
{
    public async Task<Credential> CreateFrom(CredentialCreate create)
    {
        var template = create.CredentialTemplate
            ?? throw CimiException.Invalid("CredentialCreate needs a 'credentialTemplate' (by reference or by value).");
        var resolved = await References.ResolveOrValueAsync<ICredentialTemplateGrain, CredentialTemplate>(
            GrainFactory, TenantId, ResourceKind.CredentialTemplate, "credentialTemplate", template,
            (r, o) => r with { UserName = o.UserName ?? r.UserName, Password = o.Password ?? r.Password, Key = o.Key ?? r.Key });
        return await Create(new Credential
        {
            Name = create.Name,
            Description = create.Description,
            Properties = create.Properties,
            UserName = resolved!.UserName,
            Password = resolved.Password,
            Key = resolved.Key,
        });
    }

    protected override Task<Credential> ValidateAsync(Credential document)
    {
        CommonValidation.Check(document);
        CredentialChecks.Check(document.UserName, document.Password, document.Key);
        if (document.UserName is null && document.Key is null)
            throw CimiException.Invalid("A Credential needs a 'userName' (with a 'password') or a 'key'.");
        return Task.FromResult(document);
    }

    protected override Credential KeepOnUpdate(Credential current, Credential updated) =>
        updated with { Password = updated.Password ?? current.Password };

    protected override Credential Public(Credential resource) => base.Public(resource) with { Password = null };
}
