using CimiGrains.Gateway.Security;
using CimiGrains.Grains.Hosting;

namespace CimiGrains.Gateway.Admin;

/// <summary>
/// <c>GET /admin/grain-calls</c> (role <c>admin</c>): the grain calls this process's silo has received since it started,
/// in total and per grain interface. Each silo counts its own: behind a load balancer over several silos, a reading is
/// one silo's. The benchmarks take the difference of two readings as the calls an operation cost.
/// </summary>
public static class GrainCallAdminApi
{
    public static IEndpointRouteBuilder MapGrainCallAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/grain-calls", (GrainCallCounts counts, ILocalSiloDetails silo) =>
        {
            var byInterface = counts.Snapshot();
            return Results.Json(new
            {
                silo = silo.SiloAddress.ToParsableString(),
                total = byInterface.Values.Sum(),
                byInterface = byInterface.OrderByDescending(p => p.Value).ToDictionary(p => p.Key, p => p.Value),
            });
        }).RequireAuthorization(CimiClaims.AdminPolicy);
        return app;
    }
}
