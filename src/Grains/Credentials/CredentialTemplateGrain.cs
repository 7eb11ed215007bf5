using CimiGrains.Credentials;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.ReadModel;

namespace CimiGrains.Grains.Credentials;

public sealed class CredentialTemplateGrain(
    [PersistentState("credentialTemplate", "cimi")] IPersistentState<ResourceState<CredentialTemplate>> state,
    ResourceReadModel readModel)
    : CimiResourceGrain<CredentialTemplate>(state, readModel, ResourceKind.CredentialTemplate), ICredentialTemplateGrain
{
    protected override Task<CredentialTemplate> ValidateAsync(CredentialTemplate document)
    {
        CommonValidation.Check(document);
        CredentialChecks.Check(document.UserName, document.Password, document.Key);
        return Task.FromResult(document);
    }

    // The password is write-only: an update that does not send one keeps the stored one.
    protected override CredentialTemplate KeepOnUpdate(CredentialTemplate current, CredentialTemplate updated) =>
        updated with { Password = updated.Password ?? current.Password };

    protected override CredentialTemplate Public(CredentialTemplate resource) => base.Public(resource) with { Password = null };
}
