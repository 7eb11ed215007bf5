using CimiGrains.Grains.Images;

namespace CimiGrains.Gateway.Images;

/// <summary>Deletes, at start and hourly, the chunks of uploads whose gateway died before finishing them.</summary>
public sealed partial class AbandonedUploadSweep(ImageStoreDatabase store, ILogger<AbandonedUploadSweep> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            try
            {
                var swept = await store.SweepAsync(ImageStoreDatabase.AbandonedUploadAge, stoppingToken);
                if (swept > 0) LogSwept(swept);
            }
            catch (Npgsql.NpgsqlException e)
            {
                LogFailed(e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reclaimed the chunks of {Count} image uploads that never finished")]
    private partial void LogSwept(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sweep of unfinished image uploads failed: {Error}; trying again in an hour")]
    private partial void LogFailed(string error);
}
