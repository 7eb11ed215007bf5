using System.Net;
using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.Jobs;
using CimiGrains.Grains.Machines;
using CimiGrains.Grains.Security;
using Npgsql;
using Orleans.Configuration;

namespace CimiGrains.Gateway.Hosting;

/// <summary>The silo this process co-hosts: ADO.NET clustering, grain storage and reminders on PostgreSQL.</summary>
public static class SiloHostingExtensions
{
    public const string StorageName = "cimi";

    public static IHostApplicationBuilder AddCimiSilo(this IHostApplicationBuilder builder, CimiGatewayOptions options,
        SecretKeyRing secretKeys)
    {
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = "cimigrains";
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
            silo.UseSystemTextJsonGrainStorageSerializer();
            silo.AddSecretsAtRest(secretKeys);
            silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, PendingMachineRecovery>();
        });
        builder.Services.AddSingleton(_ =>
        {
            // The read model's pool is kept near the core count: PostgreSQL runs the pages on the same
            // cores, and 32 queries at once only interleave and lengthen the tail (docs/BENCHMARKS.md),
            // while a short queue in the pool serves them in order.
            var source = new NpgsqlDataSourceBuilder(options.Postgres);
            source.ConnectionStringBuilder.MaxPoolSize = options.ReadModelPoolSize;
            return source.Build();
        });
        builder.Services.Configure<JobRetentionOptions>(o =>
            o.Retention = options.JobRetentionMinutes < 0 ? null : TimeSpan.FromMinutes(options.JobRetentionMinutes));
        builder.Services.Configure<HostSchedulingOptions>(o => o.ReconnectGrace = TimeSpan.FromSeconds(options.HostReconnectGraceSeconds));
        builder.Services.Configure<PublicImageOptions>(o => o.Locations = [options.DemoImage, .. options.PublicImages]);
        return builder;
    }
}
