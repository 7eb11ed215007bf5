namespace CimiGrains.Tenancy;

/// <summary>
/// Tenants and their users, as the HTTP binding (authentication, the operator API, the entry point)
/// uses them. Passwords go in and are checked here; what is stored of them never comes out.
/// </summary>
public interface ITenantDirectory
{
    /// <summary>Creates the tenant if it does not exist; true when it was created.</summary>
    Task<bool> EnsureTenantAsync(string tenantId, string name, CancellationToken ct = default);

    /// <summary>Creates a tenant and its first user atomically; null on success, else what conflicted.</summary>
    Task<string?> CreateTenantAsync(string tenantId, string name, string userName, string password, CancellationToken ct = default);

    Task<Tenant?> GetTenantAsync(string tenantId, CancellationToken ct = default);

    /// <summary>
    /// Creates or (with <paramref name="replace"/>) re-keys a user and returns its role afterwards; null when
    /// the name is taken and <paramref name="replace"/> is false, or belongs to another tenant.
    /// </summary>
    Task<string?> SetUserAsync(string tenantId, string userName, string password, string? role, bool replace, CancellationToken ct = default);

    /// <summary>The user with its current credential stamp when the password matches; null otherwise.</summary>
    Task<VerifiedUser?> AuthenticateAsync(string userName, string password, CancellationToken ct = default);

    /// <summary>The user's tenant, role and credential stamp without any hashing; null when it no longer exists.</summary>
    Task<VerifiedUser?> FindUserAsync(string userName, CancellationToken ct = default);
}
