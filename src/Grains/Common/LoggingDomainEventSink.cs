using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Common;

/// <summary>Writes every domain event as one structured log line (the default sink).</summary>
public sealed partial class LoggingDomainEventSink(ILogger<LoggingDomainEventSink> logger) : IDomainEventSink
{
    public Task PublishAsync(DomainEvent e)
    {
        LogEvent(e.ResourceType, e.ResourceId, e.Sequence, e.Kind, e.OldState, e.NewState, e.TenantId, e.Principal, e.CorrelationId);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{ResourceType} {ResourceId} #{Sequence} {Kind} ({OldState} -> {NewState}) tenant {TenantId} by {Principal} request {RequestId}")]
    private partial void LogEvent(string resourceType, string resourceId, long sequence, DomainEventKind kind, string? oldState,
        string? newState, string tenantId, string? principal, string? requestId);
}
