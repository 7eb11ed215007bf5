using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using CimiGrains.Tenancy;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CimiGrains.Gateway.Security;

/// <summary>
/// HTTP Basic against the tenant directory.
/// <list type="bullet">
/// <item>A PBKDF2 check costs a large fraction of a second of CPU, so a verified login is cached for a few
/// minutes, keyed by an HMAC of the credentials under a key that lives only in this process (the password
/// itself is never kept). A cache hit still reads the user's credential stamp by primary key, so a re-key
/// on any gateway revokes the old password here at once.</item>
/// <item>Logins that need PBKDF2 pass <see cref="LoginThrottle"/> first (429 with Retry-After) and then the
/// hashing gate of the directory's password hasher, so a flood of wrong passwords queues behind itself while
/// cached logins skip both.</item>
/// <item>Credentials that cannot name a user (not Base64, not UTF-8, control characters, too long) are
/// refused as a 401 before any database or hashing work.</item>
/// </list>
/// </summary>
public sealed class BasicAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ITenantDirectory tenants,
    LoginThrottle throttle) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Basic";

    /// <summary>Longest password checked; PBKDF2 cost does not grow with length, this only bounds the work of reading it.</summary>
    public const int MaxPasswordLength = 1024;

    private const int MaxCachedLogins = 10_000;
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);
    private static readonly byte[] CacheKeySecret = RandomNumberGenerator.GetBytes(32);
    private static readonly ConcurrentDictionary<string, CachedLogin> Verified = new(StringComparer.Ordinal);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Set on the request when a login is refused for a reason other than bad credentials.</summary>
    private const string RefusalItem = "cimi:login-refusal";

    private sealed record Refusal(int Status, TimeSpan RetryAfter, string Message);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var source = LoginThrottle.SourceOf(Context.Connection.RemoteIpAddress);
        if (!TryParse(header.AsSpan(6).Trim(), out var userName, out var password))
        {
            // Names no possible user: no lookup, no hashing, and no user-shaped key in the throttle.
            if (await throttle.BeginAsync(null, source, verified: false) is { } wait) return Refuse(wait);
            return AuthenticateResult.Fail("The Basic credentials do not name a valid user.");
        }

        var cacheKey = CacheKey(userName, password);
        var now = TimeProvider.GetUtcNow();
        var login = Verified.TryGetValue(cacheKey, out var entry) && entry.Until > now ? entry : null;
        var knownSource = login?.Sources.Contains(source) == true;
        if (await throttle.BeginAsync(userName, source, verified: login is not null, knownSource) is { } refusedFor) return Refuse(refusedFor);
        if (login is not null)
        {
            // One primary-key read of a small row instead of PBKDF2: the login is still what was verified.
            var current = await tenants.FindUserAsync(userName, Context.RequestAborted);
            if (current is not null && current.CredentialStamp == login.User.CredentialStamp)
            {
                if (!knownSource) login.Sources.Add(source);
                return Success(current.User);
            }
            Verified.TryRemove(cacheKey, out _);
            if (await throttle.BeginAsync(userName, source, verified: false) is { } wait) return Refuse(wait);
        }

        VerifiedUser? verified;
        try
        {
            verified = password.Length > MaxPasswordLength
                ? null
                : await tenants.AuthenticateAsync(userName, password, Context.RequestAborted);
        }
        catch (PasswordHashingBusyException e)
        {
            await throttle.NotCheckedAsync(userName, source);
            Context.Items[RefusalItem] = new Refusal(StatusCodes.Status503ServiceUnavailable, TimeSpan.FromSeconds(1), e.Message);
            return AuthenticateResult.Fail(e.Message);
        }
        // A failure was counted when the check began.
        if (verified is null)
        {
            CimiGrains.Gateway.Events.AccessRefusals.RecordRefusedLogin(Context, userName);
            return AuthenticateResult.Fail("Unknown user or wrong password.");
        }
        await throttle.SucceededAsync(userName, source);
        if (Verified.Count >= MaxCachedLogins) Trim(now);
        Verified[cacheKey] = new CachedLogin(verified, now + CacheFor, new KnownSources(source));
        return Success(verified.User);
    }

    /// <summary>A verified login, until when it is trusted without PBKDF2, and the sources that have used it here.</summary>
    private sealed record CachedLogin(VerifiedUser User, DateTimeOffset Until, KnownSources Sources);

    /// <summary>
    /// The sources a cached login was used from on this gateway. A source not in it asks the cluster's
    /// throttle once before the cached answer counts (see <see cref="LoginThrottle"/>); a few sources per login
    /// is what real use looks like, so past <see cref="Max"/> new ones simply ask every time.
    /// </summary>
    private sealed class KnownSources(string first)
    {
        private const int Max = 16;
        private readonly HashSet<string> _sources = new(StringComparer.Ordinal) { first };

        public bool Contains(string source)
        {
            lock (_sources) return _sources.Contains(source);
        }

        public void Add(string source)
        {
            lock (_sources)
            {
                if (_sources.Count < Max) _sources.Add(source);
            }
        }
    }

    /// <summary>user:password from Base64 of strict UTF-8, with a user name the directory could hold.</summary>
    private static bool TryParse(ReadOnlySpan<char> token, out string userName, out string password)
    {
        (userName, password) = ("", "");
        var bytes = new byte[(token.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(token, bytes, out var length)) return false;
        string decoded;
        try
        {
            decoded = StrictUtf8.GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':');
        if (colon <= 0) return false;
        (userName, password) = (decoded[..colon], decoded[(colon + 1)..]);
        return TenantNames.IsValidUserName(userName);
    }

    private static string CacheKey(string userName, string password) =>
        Convert.ToHexString(HMACSHA256.HashData(CacheKeySecret, Encoding.UTF8.GetBytes(userName + ":" + password)));

    private static void Trim(DateTimeOffset now)
    {
        foreach (var (key, value) in Verified)
        {
            if (value.Until <= now) Verified.TryRemove(key, out _);
        }
        // Only verified logins get here, so a full cache means that many real sessions: start over.
        if (Verified.Count >= MaxCachedLogins) Verified.Clear();
    }

    private AuthenticateResult Refuse(TimeSpan wait)
    {
        Context.Items[RefusalItem] = new Refusal(StatusCodes.Status429TooManyRequests, wait,
            "Too many failed logins from this address; retry after the time in Retry-After.");
        return AuthenticateResult.Fail("Login throttled.");
    }

    private static AuthenticateResult Success(TenantUser user)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, user.UserName),
            new Claim(CimiClaims.Tenant, user.TenantId),
            new Claim(ClaimTypes.Role, user.Role),
        ], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[RefusalItem] is Refusal refusal)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(refusal.RetryAfter.TotalSeconds));
            Response.OnStarting(() =>
            {
                Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            });
            return CimiErrors.Write(Context, refusal.Status, refusal.Message);
        }
        return CimiErrors.Write(Context, StatusCodes.Status401Unauthorized,
            "Authentication is required: send HTTP Basic credentials of a CimiGrains user.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        CimiErrors.Write(Context, StatusCodes.Status403Forbidden, "This operation needs an operator (admin) account.");
}
