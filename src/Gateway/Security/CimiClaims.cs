using System.Security.Claims;

namespace CimiGrains.Gateway.Security;

/// <summary>Claims the Gateway puts on an authenticated caller, and how endpoints read them.</summary>
public static class CimiClaims
{
    public const string Tenant = "cimi:tenant";
    public const string AdminPolicy = "cimi-admin";

    /// <summary>The caller's tenant; every grain key the request touches is built from it.</summary>
    public static string TenantId(this ClaimsPrincipal user) =>
        user.FindFirstValue(Tenant) ?? throw new InvalidOperationException("The request is not authenticated.");
}
