using CimiGrains.Grains.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CimiGrains.Grains.Meters;

/// <summary>Everything Meters need in a silo: the samples table, its ingest, the deletion of a resource's Meters with it.</summary>
public static class MeterServices
{
    public static IServiceCollection AddMeters(this IServiceCollection services, Action<MeterSampleOptions>? configure = null)
    {
        services.AddOptions<MeterSampleOptions>().Configure(o => configure?.Invoke(o))
            .Validate(o => o.Problem() is null, "Meter sample options are invalid (see MeterSampleOptions.Problem).").ValidateOnStart();
        services.TryAddSingleton<SampleStore>();
        services.TryAddSingleton<MeterSampleIngest>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<MeterSampleIngest>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDomainEventSink, MeterTargetDeletion>());
        return services;
    }
}
