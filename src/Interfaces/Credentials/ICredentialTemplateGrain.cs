namespace CimiGrains.Credentials;

/// <summary>A CredentialTemplate, keyed <c>{tenantId}/{localId}</c>.</summary>
public interface ICredentialTemplateGrain : ICimiResourceGrain<CredentialTemplate>;
