using CimiGrains.Gateway.Security;
using CimiGrains.Tenancy;

namespace CimiGrains.Gateway.Admin;

/// <summary>
/// Operator endpoints (role <c>admin</c>): tenants and their users. Not part of CIMI, so they live
/// under <c>/admin</c> and answer plain JSON.
/// </summary>
public static class AdminApi
{
    /// <summary>A new tenant with its first user.</summary>
    public sealed record TenantCreate(string Id, string? Name, string User, string Password);

    /// <summary>A new (or, with <c>replace</c>, re-keyed) user of an existing tenant.</summary>
    public sealed record UserCreate(string User, string Password, string? Role, bool Replace = false);

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").RequireAuthorization(CimiClaims.AdminPolicy);
        admin.MapPost("/tenants", async (HttpRequest http, ITenantDirectory tenants, CancellationToken ct) =>
        {
            var body = await ReadAsync<TenantCreate>(http);
            CheckName(body.Id, "id");
            CheckName(body.User, "user");
            CheckPassword(body.Password);
            if (await tenants.CreateTenantAsync(body.Id, body.Name ?? body.Id, body.User, body.Password, ct) is { } conflict)
                return Results.Extensions.Error(StatusCodes.Status409Conflict, conflict);
            return Results.Created($"/admin/tenants/{body.Id}", new { id = body.Id, name = body.Name ?? body.Id, user = body.User });
        });
        admin.MapPost("/tenants/{tenantId}/users", async (string tenantId, HttpRequest http, ITenantDirectory tenants, CancellationToken ct) =>
        {
            var body = await ReadAsync<UserCreate>(http);
            CheckName(body.User, "user");
            CheckPassword(body.Password);
            // No role: a new user is a plain user, a re-keyed one keeps the role it has (never a silent demotion).
            if (body.Role is not (null or "user" or "admin")) throw CimiRequestException.BadRequest("'role' must be 'user' or 'admin'.");
            if (await tenants.GetTenantAsync(tenantId, ct) is null)
                return Results.Extensions.Error(StatusCodes.Status404NotFound, $"Tenant '{tenantId}' was not found.");
            if (await tenants.SetUserAsync(tenantId, body.User, body.Password, body.Role, body.Replace, ct) is not { } role)
                return Results.Extensions.Error(StatusCodes.Status409Conflict, $"User '{body.User}' already exists.");
            return Results.Created($"/admin/tenants/{tenantId}/users/{body.User}", new { tenant = tenantId, user = body.User, role });
        });
        return app;
    }

    /// <summary>
    /// An operator document: JSON only (no CIMI type describes these, so there is no XML mapping), read
    /// and checked by the same reader as CIMI bodies (limits, text rule, duplicate keys).
    /// </summary>
    private static async Task<T> ReadAsync<T>(HttpRequest http) where T : class
    {
        if (MediaTypes.OfContentType(http.ContentType) != MediaTypes.Json)
            throw new CimiRequestException(StatusCodes.Status415UnsupportedMediaType,
                "The operator API takes application/json bodies only.");
        var node = await CimiRequestReader.ReadDocumentAsync(http, typeof(T).Name);
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<T>(node, CimiJson.Options)
                ?? throw CimiRequestException.BadRequest($"The body must hold a {typeof(T).Name}.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw CimiRequestException.BadRequest($"The body is not a valid {typeof(T).Name} ({e.Path}): required attributes are missing or of the wrong type.");
        }
    }

    private static void CheckName(string? value, string attribute)
    {
        if (value is null || value.Length is 0 or > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw CimiRequestException.BadRequest($"'{attribute}' must be 1 to 64 letters, digits, '-', '_' or '.'.");
    }

    private static void CheckPassword(string? password)
    {
        if (password is null || password.Length < 8) throw CimiRequestException.BadRequest("'password' must be at least 8 characters.");
    }
}
