namespace CimiGrains.Credentials;

/// <summary>The CredentialTemplate type: a plain stored resource; its password is write-only.</summary>
public static class CredentialTemplateRegistration
{
    /// <summary>The key of a Credential or CredentialTemplate.</summary>
    public static readonly CimiAttributeConstraint Key = new("key", "An OpenSSH public key installed for userName.");

    /// <summary>The password of a Credential or CredentialTemplate.</summary>
    public static readonly CimiAttributeConstraint Password = new("password", "Write-only: accepted, never returned.");

    public static CimiTypeRegistration Type { get; } = new()
    {
        Kind = new ResourceKind("CredentialTemplate", "credentialTemplates"),
        Record = typeof(CredentialTemplate),
        Grain = typeof(ICredentialTemplateGrain),
        CollectionArray = "credentialTemplates",
        EntryPointAttribute = "credentialTemplates",
        Routing = CimiRouting.Plain,
        ElementOrder = [.. CimiTypeRegistration.CommonElements, "operations", "userName", "password"],
        Constraints = [Key, Password],
    };
}
