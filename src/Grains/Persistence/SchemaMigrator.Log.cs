using Microsoft.Extensions.Logging;

namespace CimiGrains.Grains.Persistence;

public sealed partial class SchemaMigrator
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Debug, Message = "Applied schema script {Script} (sha256 {Sha256})")]
    private static partial void LogScriptApplied(ILogger logger, string script, string sha256);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Database schema is current: {ScriptCount} scripts applied in {ElapsedMs} ms")]
    private static partial void LogMigrated(ILogger logger, int scriptCount, long elapsedMs);
}
