using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using CimiGrains.Grains.Tenants;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CimiGrains.Gateway.Security;

/// <summary>
/// HTTP Basic against the tenant directory. A PBKDF2 check costs milliseconds of CPU, which would cap
/// the API at a few hundred requests a second, so a successful check is remembered for a short time,
/// keyed by a SHA-256 of the credentials (the password itself is never kept).
/// </summary>
public sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TenantDirectory tenants) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Basic";
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);
    private static readonly ConcurrentDictionary<string, (TenantUser User, DateTimeOffset Until)> Verified = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return AuthenticateResult.Fail("The Basic credentials are not valid Base64.");
        }
        var colon = decoded.IndexOf(':');
        if (colon <= 0) return AuthenticateResult.Fail("The Basic credentials must be user:password.");
        var (userName, password) = (decoded[..colon], decoded[(colon + 1)..]);

        var cacheKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(decoded)));
        var now = DateTimeOffset.UtcNow;
        TenantUser? user;
        if (Verified.TryGetValue(cacheKey, out var cached) && cached.Until > now) user = cached.User;
        else
        {
            user = await tenants.AuthenticateAsync(userName, password, Context.RequestAborted);
            if (user is null) return AuthenticateResult.Fail("Unknown user or wrong password.");
            if (Verified.Count > 10_000) Verified.Clear();
            Verified[cacheKey] = (user, now + CacheFor);
        }
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, user.UserName),
            new Claim(CimiClaims.Tenant, user.TenantId),
            new Claim(ClaimTypes.Role, user.Role),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        CimiErrors.Write(Context, StatusCodes.Status401Unauthorized,
            "Authentication is required: send HTTP Basic credentials of a CimiGrains user.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        CimiErrors.Write(Context, StatusCodes.Status403Forbidden, "This operation needs an operator (admin) account.");
}
