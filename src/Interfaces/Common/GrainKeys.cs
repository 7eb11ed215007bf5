namespace CimiGrains.Common;

/// <summary>
/// Every tenant-owned grain is keyed <c>{tenantId}/{localId}</c>. Putting the tenant in the key means a
/// request can only ever reach grains of the caller's own tenant: another tenant's id names an empty
/// grain, which answers "not found", so isolation does not depend on every code path checking.
/// </summary>
public static class GrainKeys
{
    public static string Of(string tenantId, string localId) => $"{tenantId}/{localId}";

    public static (string TenantId, string LocalId) Split(string key)
    {
        var slash = key.IndexOf('/');
        if (slash <= 0) throw new ArgumentException($"'{key}' is not a tenant-scoped grain key.", nameof(key));
        return (key[..slash], key[(slash + 1)..]);
    }
}
