using CimiGrains.Gateway.Security;
using CimiGrains.Hosts;

namespace CimiGrains.Gateway.Admin;

/// <summary>
/// <c>GET /admin/hosts</c> (role <c>admin</c>): every host the cluster knows, for operators. Not CIMI: a
/// consumer sees no hosts beyond a Machine's <c>host</c> name. Plain JSON, as the other operator endpoints.
/// </summary>
public static class HostAdminApi
{
    public static IEndpointRouteBuilder MapHostAdminApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/admin/hosts", async (IGrainFactory grains) =>
        {
            var hosts = await grains.GetGrain<IHostSchedulerGrain>(0).GetHosts();
            return Results.Json(new { count = hosts.Count, hosts = hosts.Select(Describe) });
        }).RequireAuthorization(CimiClaims.AdminPolicy);
        return app;
    }

    private static object Describe(HostOverview h) => new
    {
        id = h.HostId,
        connected = h.Connected,
        reconnectingUntil = h.ReconnectingUntil,
        drivers = h.Drivers,
        labels = h.Labels,
        agentVersion = h.AgentVersion,
        cpu = h.Cpu,
        memoryKiB = h.MemoryKiB,
        diskKiB = h.DiskKiB,
        cpuAllocationRatio = new { value = h.CpuAllocationRatio, source = h.CpuAllocationRatioFromHost ? "host" : "deployment" },
        memoryAllocationRatio = new { value = h.MemoryAllocationRatio, source = h.MemoryAllocationRatioFromHost ? "host" : "deployment" },
        capacity = new { cpu = h.CpuCapacity, memoryKiB = h.MemoryCapacityKiB, diskKiB = h.DiskKiB },
        used = new { cpu = h.UsedCpu, memoryKiB = h.UsedMemoryKiB, diskKiB = h.UsedDiskKiB, machines = h.Machines },
        // The pool's use as placement counts it: Volumes reported by the host and those placed since.
        volumePool = new { capacityKiB = h.VolumePoolKiB, usedKiB = h.UsedVolumePoolKiB, volumes = h.Volumes },
        lastReported = h.LastReported,
    };
}
