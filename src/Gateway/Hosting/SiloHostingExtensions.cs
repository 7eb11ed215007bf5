using System.Net;
using CimiGrains.Grains.Hosting;
using CimiGrains.Grains.Security;
using Orleans.Configuration;

namespace CimiGrains.Gateway.Hosting;

/// <summary>
/// The silo this process co-hosts: ADO.NET clustering, grain storage and reminders on PostgreSQL, membership
/// timings, and the CIMI grains with everything they need (<see cref="CimiGrainsExtensions.AddCimiGrains"/>).
/// </summary>
public static class SiloHostingExtensions
{
    public const string StorageName = "cimi";

    /// <summary>The Orleans service id: grain storage rows carry it.</summary>
    public const string ServiceId = "cimigrains";

    public static IHostApplicationBuilder AddCimiSilo(this IHostApplicationBuilder builder, CimiGatewayOptions options,
        SecretKeyRing secretKeys)
    {
        // The operator's view of the secrets in grain storage and their bulk re-seal (/admin/secrets).
        builder.Services.AddSingleton(new StoredSecrets(options.Postgres, ServiceId, secretKeys));
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = ServiceId;
            });
            silo.ConfigureEndpoints(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort, options.GatewayPort,
                listenOnAnyHostAddress: options.AdvertisedAddress != "127.0.0.1");
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = options.Postgres;
            });
            silo.AddAdoNetGrainStorage(StorageName, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = options.Postgres;
            });
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = options.Postgres;
            });
            silo.AddCimiGrains(new CimiGrainsOptions
            {
                SecretKeys = secretKeys,
                ReadModelConnectionString = options.Postgres,
                ReadModelPoolSize = options.ReadModelPoolSize,
                JobRetention = options.JobRetentionMinutes < 0 ? null : TimeSpan.FromMinutes(options.JobRetentionMinutes),
                EventRetention = options.EventRetentionDays < 0 ? null : TimeSpan.FromDays(options.EventRetentionDays),
                HostReconnectGrace = TimeSpan.FromSeconds(options.HostReconnectGraceSeconds),
                SystemMemberRefusalLimit = TimeSpan.FromSeconds(options.SystemMemberRefusalSeconds),
                VolumeReservationTimeout = TimeSpan.FromSeconds(options.VolumeReservationSeconds),
                CpuAllocationRatio = options.CpuAllocationRatio,
                MemoryAllocationRatio = options.MemoryAllocationRatio,
                PublicImages = options.AllPublicImages,
                MeterSampleRetention = TimeSpan.FromHours(Math.Max(options.MeterRetentionHours, options.MeterPartitionHours)),
                MeterSamplePartitionWidth = TimeSpan.FromHours(options.MeterPartitionHours),
                MeterSamplingPeriodSeconds = options.MeterSamplingPeriodSeconds,
            });
            // Bounded waits on a dead silo. A call in flight to a silo that died is failed (SiloUnavailable,
            // a 503 with Retry-After) only when membership declares the silo dead: with the defaults that is
            // 3 missed probes x 5 s = ~15 s, and requests hung that long. A killed silo refuses connections,
            // so each probe fails at once and detection takes NumMissedProbesLimit probe periods: 3 x 2 s =
            // ~6 s. Not lower: a live silo declared dead shuts itself down, and on a loaded 2-core machine a
            // silo can stall for a second or more (GC, thread-pool starvation), so three consecutive probes
            // of 2 s each must go unanswered, and a prober that is itself degraded extends its timeouts
            // (ExtendProbeTimeoutDuringDegradation, on by default) instead of voting. Votes expire after 30 s
            // (default 2 min) so that, with three or more silos, two unrelated hiccups minutes apart do not
            // add up to a death sentence, while a real death collects its votes within seconds.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(2);
                o.NumMissedProbesLimit = 3;
                o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
            });
            // The backstop for a call to a silo that is alive but stuck (default 30 s). Every grain call here
            // is short (state, a storage write, a one-way host command), so 10 s is far above a healthy call
            // and still far below a client's patience; the caller gets 503 + Retry-After.
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        return builder;
    }
}
