namespace CimiGrains.Tenancy;

/// <summary>The naming rules of tenants and users, shared by the directory and the authentication in front of it.</summary>
public static class TenantNames
{
    /// <summary>The tenant of the operator accounts (role <c>admin</c>).</summary>
    public const string OperatorTenant = "system";

    /// <summary>
    /// What a user name may be (1 to 64 ASCII letters, digits, '-', '_' or '.'): the operator API creates
    /// no other, so a login naming anything else is refused before it reaches the database.
    /// </summary>
    public static bool IsValidUserName(string userName) =>
        userName.Length is > 0 and <= 64 && userName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
