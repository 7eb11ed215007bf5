namespace CimiGrains.Tenancy;

/// <summary>An authenticated user: the tenant it acts for and its role (<c>user</c> or <c>admin</c>).</summary>
public sealed record TenantUser(string TenantId, string UserName, string Role);
