using CimiGrains.Events;
using CimiGrains.Grains.Events;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Meters;

/// <summary>The journal when the deployment registers none (the EventLog store registers the PostgreSQL one):
/// alarms are then logged, not kept.</summary>
public sealed partial class LoggingEventJournal(ILogger<LoggingEventJournal> logger) : IEventJournal
{
    public Task AppendAsync(JournalEvent journalEvent, CancellationToken cancellationToken = default)
    {
        LogEvent(journalEvent.TenantId, journalEvent.Type, journalEvent.ResourceId, journalEvent.Content.GetValueOrDefault("code"),
            journalEvent.Content.GetValueOrDefault("detail"));
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Event of tenant {TenantId}: {Type} {ResourceId} {Code}: {Detail}")]
    private partial void LogEvent(string tenantId, CimiEventType type, string? resourceId, string? code, string? detail);
}
