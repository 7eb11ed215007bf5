namespace CimiGrains.Tenancy;

/// <summary>A user as the directory holds it now, with the stamp its credentials are at (raised by every re-key).</summary>
public sealed record VerifiedUser(TenantUser User, long CredentialStamp);
