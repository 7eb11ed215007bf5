using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CimiGrains.Grains.Events;

/// <summary>
/// Removes events older than <see cref="EventOptions.Retention"/>, in batches, every few minutes. Each
/// process runs it (deletes by different processes of the same rows are harmless); a removed id below the
/// stream's mark changes nothing for the stream.
/// </summary>
public sealed partial class EventRetention(NpgsqlDataSource dataSource, IOptions<EventOptions> options, TimeProvider clock, ILogger<EventRetention> logger)
    : BackgroundService
{
    private const int BatchSize = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Retention is not { } retention) return;
        var every = TimeSpan.FromTicks(Math.Clamp(retention.Ticks / 10, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(5).Ticks));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await PurgeAsync(clock.GetUtcNow() - retention, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogPurgeFailed(logger, e.Message);
                }
                await Task.Delay(every, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Deletes every event stamped before <paramref name="before"/>; returns how many.</summary>
    public async Task<long> PurgeAsync(DateTimeOffset before, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            await using var cmd = dataSource.CreateCommand(
                "DELETE FROM cimi_event WHERE id IN (SELECT id FROM cimi_event WHERE time < $1 ORDER BY time LIMIT $2)");
            cmd.Parameters.Add(new() { Value = before.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            cmd.Parameters.Add(new() { Value = BatchSize });
            var n = await cmd.ExecuteNonQueryAsync(ct);
            total += n;
            if (n < BatchSize) return total;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing expired events failed; retried later: {Reason}")]
    private static partial void LogPurgeFailed(ILogger logger, string reason);
}
