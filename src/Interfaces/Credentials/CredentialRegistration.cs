namespace CimiGrains.Credentials;

/// <summary>The Credential type: created from a CredentialCreate (a template by reference or by value).</summary>
public static class CredentialRegistration
{
    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("Credential", "credentials"),
        Record = typeof(Credential),
        Grain = typeof(ICredentialGrain),
        CollectionArray = "credentials",
        EntryPointAttribute = "credentials",
        // The POST reads a CredentialCreate: Gateway/Credentials/CredentialApi.
        Routing = CimiRouting.CustomCreate,
        // DSP8009 puts the credential elements after operation, and types key as xs:hexBinary; CimiGrains'
        // key is an OpenSSH public key (text), so it is an extension rather than an invalid CIMI key.
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "operations", "userName", "password"],
        Documents = [new(typeof(CredentialCreate), "CredentialCreate", [.. CimiTypeRegistration.CommonElements, "credentialTemplate"])],
        Capabilities = [new("CredentialTemplateByValue", "true", "A CredentialCreate may carry its CredentialTemplate by value.")],
        Constraints = [CredentialTemplateRegistration.Key, CredentialTemplateRegistration.Password],
    };
}
