using CimiGrains.Events;
using CimiGrains.Grains.Common;
using CimiGrains.Grains.Events;
using CimiGrains.Grains.Hosts;
using CimiGrains.Grains.Jobs;
using CimiGrains.Grains.Machines;
using CimiGrains.Grains.Meters;
using CimiGrains.Grains.ReadModel;
using CimiGrains.Grains.Security;
using CimiGrains.Grains.Tenants;
using CimiGrains.ReadModel;
using CimiGrains.Tenancy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace CimiGrains.Grains.Hosting;

/// <summary>
/// The one place a silo gets everything the CIMI grains rely on, used alike by the Gateway's silo and
/// by the test clusters: the grain-state serializer (System.Text.Json, with secrets sealed), the read
/// model and tenant directory on PostgreSQL, the grains' options, and the silo-start recovery of
/// operations cut by a crash.
/// </summary>
public static class CimiGrainsExtensions
{
    public static ISiloBuilder AddCimiGrains(this ISiloBuilder silo, CimiGrainsOptions options)
    {
        if (options.Problem() is { } problem) throw new ArgumentException($"AddCimiGrains: {problem}", nameof(options));

        // Stored state is JSON by property name (not Newtonsoft with $type CLR names): renaming a state
        // type must not orphan its rows. Secret properties are sealed by this same serializer.
        silo.UseSystemTextJsonGrainStorageSerializer();
        silo.AddSecretsAtRest(options.SecretKeys);

        var services = silo.Services;
        if (options.ReadModelDataSource is { } dataSource) services.TryAddSingleton(dataSource);
        else
        {
            var connectionString = options.ReadModelConnectionString!;
            var poolSize = options.ReadModelPoolSize;
            services.TryAddSingleton(_ =>
            {
                var source = new NpgsqlDataSourceBuilder(connectionString);
                source.ConnectionStringBuilder.MaxPoolSize = poolSize;
                return source.Build();
            });
        }
        // The control plane's cost in grain calls (benchmarks, /admin/grain-calls): one counter per silo.
        services.TryAddSingleton<GrainCallCounts>();
        services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<GrainCallCounts>());
        services.TryAddSingleton<ResourceReadModel>();
        services.TryAddSingleton<IResourceReader>(sp => sp.GetRequiredService<ResourceReadModel>());
        services.TryAddSingleton<TenantDirectory>();
        services.TryAddSingleton<ITenantDirectory>(sp => sp.GetRequiredService<TenantDirectory>());

        services.Configure<JobRetentionOptions>(o => o.Retention = options.JobRetention);

        // The event journal (docs/EVENTS.md): rows written with the read model, one tail per process for
        // the live stream and the reads' high-water mark, and the retention loop.
        services.Configure<EventOptions>(o => o.Retention = options.EventRetention);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IEventJournal, PostgresEventJournal>();
        services.TryAddSingleton<EventTail>();
        services.TryAddSingleton<IEventStream>(sp => sp.GetRequiredService<EventTail>());
        services.AddHostedService(sp => sp.GetRequiredService<EventTail>());
        services.AddHostedService<EventRetention>();
        services.TryAddSingleton<IEventLogReader, EventLogReader>();
        services.TryAddSingleton<IAccessEvents, AccessEvents>();
        services.Configure<HostSchedulingOptions>(o =>
        {
            o.ReconnectGrace = options.HostReconnectGrace;
            o.CpuAllocationRatio = options.CpuAllocationRatio;
            o.MemoryAllocationRatio = options.MemoryAllocationRatio;
        });
        services.Configure<PublicImageOptions>(o => o.Locations = options.PublicImages);
        services.Configure<Systems.SystemOptions>(o => o.MemberRefusalLimit = options.SystemMemberRefusalLimit);
        services.Configure<Volumes.VolumeOptions>(o => o.ReservationTimeout = options.VolumeReservationTimeout);
        // The cluster image store (docs/IMAGES.md): its registered images are public images as well.
        services.TryAddSingleton<Images.ImageStoreDatabase>();
        services.AddSingleton<Microsoft.Extensions.Options.IConfigureOptions<PublicImageOptions>>(sp =>
            new Microsoft.Extensions.Options.ConfigureOptions<PublicImageOptions>(o => o.Store = sp.GetRequiredService<Images.ImageStoreDatabase>()));

        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, PendingMachineRecovery>();
        // Meters (docs/METERS.md): the samples table, its ingest and retention, a resource's Meters deleted with it.
        services.AddMeters(o =>
        {
            o.Retention = options.MeterSampleRetention;
            o.PartitionWidth = options.MeterSamplePartitionWidth;
            o.SamplingPeriodSeconds = options.MeterSamplingPeriodSeconds;
        });
        // The resource bases' clock and domain-event sinks (a host or test may register its own first).
        services.AddCimiResourceServices();
        return silo;
    }
}
