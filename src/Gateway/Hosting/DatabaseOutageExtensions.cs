using CimiGrains.Grains.Persistence;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CimiGrains.Gateway.Hosting;

/// <summary>Registers <see cref="DatabaseOutage"/> and folds every database-outage log entry into it.</summary>
public static class DatabaseOutageExtensions
{
    /// <summary>
    /// Adds the outage tracker (and its probe), and wraps every logging provider registered so far so that
    /// an entry whose exception is a database outage is handed to the tracker instead of being written.
    /// While PostgreSQL is away each failed storage write is otherwise logged three times with full stack
    /// traces (the ADO.NET provider, Orleans' storage bridge, the caller): ~40 KB per request. Call it
    /// after the logging providers are configured.
    /// </summary>
    public static IHostApplicationBuilder AddDatabaseOutageHandling(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DatabaseOutage>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DatabaseOutage>());
        builder.Services.TryAddSingleton(TimeProvider.System);
        foreach (var provider in builder.Services.Where(d => d.ServiceType == typeof(ILoggerProvider) && !d.IsKeyedService).ToList())
        {
            builder.Services.Remove(provider);
            builder.Services.AddSingleton<ILoggerProvider>(sp => new OutageFilteringLoggerProvider(Create(sp, provider), sp));
        }
        return builder;
    }

    private static ILoggerProvider Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        (ILoggerProvider)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));

    /// <summary>
    /// A logging provider in front of another. The tracker is found lazily: it logs through these very
    /// providers, so taking it in the constructor would be a cycle.
    /// </summary>
    private sealed class OutageFilteringLoggerProvider(ILoggerProvider inner, IServiceProvider services)
        : ILoggerProvider, ISupportExternalScope
    {
        private DatabaseOutage? _outage;

        public ILogger CreateLogger(string categoryName) => new OutageFilteringLogger(inner.CreateLogger(categoryName), this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) =>
            (inner as ISupportExternalScope)?.SetScopeProvider(scopeProvider);

        public void Dispose() => inner.Dispose();

        /// <summary>True when the entry belongs to a database outage (and has been counted towards it).</summary>
        public bool Absorbs(Exception? exception)
        {
            if (exception is null || !DatabaseFailures.IsUnavailable(exception)) return false;
            _outage ??= services.GetRequiredService<DatabaseOutage>();
            _outage.Observe(exception);
            return true;
        }
    }

    private sealed class OutageFilteringLogger(ILogger inner, OutageFilteringLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (provider.Absorbs(exception)) return;
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
