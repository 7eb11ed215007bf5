using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CimiGrains.Grains.Common;

/// <summary>The services the resource grains' shared bases take from DI: their clock and the domain-event sinks.</summary>
public static class HostedResourceServices
{
    /// <summary>
    /// The key of the <see cref="TimeProvider"/> the resource grains read the time from. Keyed, not the
    /// container's plain TimeProvider, because Orleans' own timers and membership use that one: a test
    /// can move the resources' clock on without moving the runtime's.
    /// </summary>
    public const string ClockKey = "cimi.clock";

    /// <summary>The system clock and the logging event sink, unless the caller registered others first.</summary>
    public static IServiceCollection AddCimiResourceServices(this IServiceCollection services)
    {
        services.TryAddKeyedSingleton(ClockKey, TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDomainEventSink, LoggingDomainEventSink>());
        return services;
    }
}
