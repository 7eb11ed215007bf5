namespace CimiGrains.Credentials;

/// <summary>A Credential, keyed <c>{tenantId}/{localId}</c>. Its password is never returned by <c>Get</c>.</summary>
public interface ICredentialGrain : ICimiResourceGrain<Credential>
{
    /// <summary>Creates the Credential from a CredentialCreate (template by reference, value, or both).</summary>
    Task<Credential> CreateFrom(CredentialCreate create);
}
