using CimiGrains.Gateway.Security;
using CimiGrains.Grains.Security;

namespace CimiGrains.Gateway.Admin;

/// <summary>
/// <c>GET /admin/secrets</c> and <c>POST /admin/secrets/reseal</c> (role <c>admin</c>): how many sealed
/// values grain storage holds under each key id and how many secrets are still plaintext, and the bulk
/// re-seal that moves them all under the current key, so a rotated-out key can be removed.
/// </summary>
/// <remarks>
/// The re-seal answers synchronously, bounded: at most <c>limit</c> rows per call (default
/// <see cref="DefaultLimit"/>), each by its own grain, a few at a time; <c>truncated</c> says to call again.
/// A Job would add state for an operation that is idempotent and cheap to repeat, so none is kept.
/// </remarks>
public static class SecretAdminApi
{
    public const int DefaultLimit = 1000;
    public const int MaxLimit = 10000;

    public static IEndpointRouteBuilder MapSecretAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin/secrets").RequireAuthorization(CimiClaims.AdminPolicy);
        admin.MapGet("", async (StoredSecrets secrets, CancellationToken ct) => Results.Json(Describe(await secrets.ReportAsync(ct))));
        admin.MapPost("/reseal", async (int? limit, StoredSecrets secrets, IGrainFactory grains, CancellationToken ct) =>
        {
            if (limit is < 1 or > MaxLimit) throw CimiRequestException.BadRequest($"'limit' must be 1 to {MaxLimit}.");
            var result = await secrets.ResealAsync(grains, limit ?? DefaultLimit, ct);
            return Results.Json(new
            {
                rewritten = result.Rewritten,
                failed = result.Failed.Select(f => new { state = f.StateName, grain = f.GrainKey, reason = f.Reason }),
                truncated = result.Truncated,
                remaining = Describe(result.Remaining),
            });
        });
        return app;
    }

    private static object Describe(StoredSecrets.Report report) => new
    {
        currentKeyId = report.CurrentKeyId,
        sealedByKeyId = report.SealedByKeyId,
        underOldKeys = report.SealedByKeyId.Where(k => k.Key != report.CurrentKeyId).Sum(k => k.Value),
        plaintext = report.Plaintext,
        rowsToReseal = report.RowsToReseal,
    };
}
