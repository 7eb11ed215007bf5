namespace CimiGrains.Events;

/// <summary>
/// Records the access refusals that concern a tenant without telling the caller anything: a refused
/// login of one of its users, and a request from another tenant for one of its resources' ids.
/// </summary>
public interface IAccessEvents
{
    /// <summary>An access Event in the user's tenant's log when <paramref name="userName"/> names a user; nothing otherwise.</summary>
    Task RefusedLoginAsync(string userName, string? source, CancellationToken ct);

    /// <summary>An access Event in the log of the tenant that owns <paramref name="resourceId"/> (of
    /// <paramref name="typeName"/>) when that is not <paramref name="callerTenant"/>; nothing otherwise.</summary>
    Task CrossTenantRequestAsync(string callerTenant, string? principal, string typeName, string resourceId, string operation, string? source, CancellationToken ct);
}
