using CimiGrains.Hosts;
using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Common;

public abstract partial class HostedResourceGrain<TResource, TState, TLifecycle>
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored a stale host report for {ResourceId}: generation {ReportGeneration} < {Generation}")]
    private static partial void LogStaleReport(ILogger logger, string resourceId, long reportGeneration, long generation);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: a step of its operation failed; retrying in {Seconds} s")]
    private static partial void LogStepRetried(ILogger logger, string resourceId, double seconds, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ResourceId}: {Command} failed: {Reason}")]
    private static partial void LogOperationFailed(ILogger logger, string resourceId, HostCommandKind command, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{ResourceId}: a progress message to its Job was lost ({Error})")]
    private static partial void LogProgressLost(ILogger logger, string resourceId, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{ResourceId}: its reminder was not removed after the operation ended ({Error}); its next tick removes it")]
    private static partial void LogReminderNotRemoved(ILogger logger, string resourceId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{ResourceId} changed on its host from {From} to {To}: {Detail}")]
    private static partial void LogObservedChange(ILogger logger, string resourceId, string from, string to, string? detail);
}
