using CimiGrains.Gateway.Resources;
using CimiGrains.Jobs;

namespace CimiGrains.Gateway.Jobs;

/// <summary>Jobs: created by the provider only; consumers read, rename and delete finished ones.</summary>
public static class JobApi
{
    public static RouteGroupBuilder MapJobApi(this RouteGroupBuilder cimi)
    {
        cimi.MapCimiResources<Job, IJobGrain>(CimiTypes.Job);
        cimi.MapPost("/jobs", () => CimiErrors.Write405("Jobs are created by the provider; the jobs collection has no 'add' operation."));
        return cimi;
    }
}
